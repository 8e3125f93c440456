#include "actors/validator.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/priority.hpp"

namespace ordernode {

validator_actor::behavior_type validator(validator_actor::pointer self, order_rules rules,
                                         dispatcher_refs regions, journal_actor journal,
                                         error_channel_ref errors,
                                         std::shared_ptr<node_metrics> metrics) {
  auto stage = or_unrecorded(std::move(metrics))->stage("validator");
  return {
    [=](order& x) {
      stage.handled(backlog(self));
      if (auto violation = check_order(x, rules, regions)) {
        spdlog::info("Invalid order {}: {}", x.id, violation->message);
        stage.error();
        send_for(self, x.vip, errors.get(),
                 error_report{x.id, stage_id::validator, error_type::validation, violation->message,
                              now()});
        return;
      }
      spdlog::info("Valid order {} ({} x{}, region {}{})", x.id, x.product_name, x.quantity,
                   x.region, x.vip ? ", VIP" : "");
      send_for(self, x.vip, journal,
               order_event{x.id, order_state::validated, stage_id::validator, "", now()});
      auto& dispatcher = regions.at(x.region).get();
      auto vip = x.vip;
      stage.out->Increment();
      send_for(self, vip, dispatcher, process_atom::value, std::move(x));
    },
  };
}

}  // namespace ordernode
