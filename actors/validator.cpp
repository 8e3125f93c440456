#include "actors/validator.hpp"

#include <algorithm>
#include <cctype>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/priority.hpp"

namespace ordernode {

namespace {

bool is_blank(const std::string& x) {
  return std::all_of(x.begin(), x.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

}  // namespace

std::optional<std::string> check_order(
  const order& x, const validation_options& rules,
  const std::function<bool(const std::string&)>& known_region) {
  if (x.id.empty())
    return "order id is empty";
  if (is_blank(x.product_name))
    return "product name is empty";
  if (x.product_name.size() > static_cast<size_t>(rules.max_name_length))
    return "product name is longer than " + std::to_string(rules.max_name_length) + " bytes";
  if (x.quantity < rules.min_quantity)
    return "quantity " + std::to_string(x.quantity) + " is below "
           + std::to_string(rules.min_quantity);
  if (x.quantity > rules.max_quantity)
    return "quantity " + std::to_string(x.quantity) + " is above "
           + std::to_string(rules.max_quantity);
  if (!known_region(x.region))
    return "unknown region '" + x.region + "'";
  return std::nullopt;
}

validator_actor::behavior_type validator(validator_actor::pointer self, validation_options rules,
                                         dispatcher_refs regions, journal_actor journal,
                                         error_channel_ref errors,
                                         std::shared_ptr<node_metrics> metrics) {
  auto stage = or_unrecorded(std::move(metrics))->stage("validator");
  return {
    [=](order& x) {
      stage.handled(backlog(self));
      if (auto reason = check_order(x, rules, regions)) {
        spdlog::info("Invalid order {}: {}", x.id, *reason);
        stage.error();
        send_for(self, x.vip, errors.get(),
                 error_report{x.id, "validator", "validation", *reason, now()});
        return;
      }
      spdlog::info("Valid order {} ({} x{}, region {}{})", x.id, x.product_name, x.quantity,
                   x.region, x.vip ? ", VIP" : "");
      send_for(self, x.vip, journal,
               order_event{x.id, order_state::validated, "validator", "", now()});
      auto& dispatcher = regions.at(x.region).get();
      auto vip = x.vip;
      stage.out->Increment();
      send_for(self, vip, dispatcher, process_atom::value, std::move(x));
    },
  };
}

}  // namespace ordernode
