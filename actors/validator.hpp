// The validator: lets valid orders on to their region's dispatcher, sends the rest to errors.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "runtime/config.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/stages.hpp"

namespace ordernode {

// Why `x` is invalid, or nothing when it is valid; `known_region` tells the configured regions.
std::optional<std::string> check_order(const order& x, const validation_options& rules,
                                       const std::function<bool(const std::string&)>& known_region);

// Checks `x` against the regions that have a dispatcher.
template <class Handle>
std::optional<std::string> check_order(const order& x, const validation_options& rules,
                                       const std::map<std::string, Handle>& regions) {
  return check_order(x, rules, [&](const std::string& name) { return regions.count(name) > 0; });
}

validator_actor::behavior_type validator(validator_actor::pointer self, validation_options rules,
                                         dispatcher_refs regions, journal_actor journal,
                                         error_channel_ref errors,
                                         std::shared_ptr<node_metrics> metrics);

}  // namespace ordernode
