// The journal's outbox as its readers see it: messages waiting for their publish to the broker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "runtime/core/messages.hpp"

namespace ordernode {

// A message waiting in the outbox for its publish to the broker; `seq` orders the outbox.
struct outbox_message {
  int64_t seq = 0;
  std::string exchange;
  std::string routing_key;
  std::string message_id;
  std::string payload;
  timestamp created_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outbox_message& x) {
  return f(caf::meta::type_name("outbox_message"), x.seq, x.exchange, x.routing_key, x.message_id,
           x.payload, x.created_at);
}

// A page of the outbox and how much waits in it.
struct outbox_page {
  std::vector<outbox_message> messages;
  uint64_t backlog = 0;
  timestamp oldest = 0;  // created_at of the oldest waiting message; 0 when none waits.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outbox_page& x) {
  return f(caf::meta::type_name("outbox_page"), x.messages, x.backlog, x.oldest);
}

}  // namespace ordernode
