// Sends a message about an order with high priority when the order is VIP.
#pragma once

#include <utility>

#include <caf/message_priority.hpp>

namespace ordernode {

template <class Self, class Dest, class... Ts>
void send_for(Self* self, bool vip, const Dest& dest, Ts&&... xs) {
  if (vip)
    self->template send<caf::message_priority::high>(dest, std::forward<Ts>(xs)...);
  else
    self->send(dest, std::forward<Ts>(xs)...);
}

}  // namespace ordernode
