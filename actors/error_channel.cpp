#include "actors/error_channel.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace ordernode {

error_channel_actor::behavior_type error_channel(error_channel_actor::pointer self,
                                                 journal_actor journal, notifier_ref notifier) {
  return {
    [=](error_report& x) {
      if (x.at == 0)
        x.at = now();
      if (x.order_id.empty()) {
        spdlog::error("{} error in {}: {}", to_string(x.type), to_string(x.stage), x.cause);
      } else {
        spdlog::warn("order {}: {} error in {}: {}", x.order_id, to_string(x.type),
                     to_string(x.stage), x.cause);
        auto state = x.type == error_type::validation    ? order_state::rejected
                     : x.type == error_type::dead_letter ? order_state::dead_letter
                                                         : order_state::failed;
        self->send(journal, order_event{x.order_id, state, x.stage,
                                        to_string(x.type) + ": " + x.cause, x.at});
      }
      if (auto& hdl = notifier.get())
        self->send(hdl, x);
      self->send(journal, std::move(x));
    },
  };
}

}  // namespace ordernode
