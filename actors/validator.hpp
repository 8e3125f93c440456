// The validator: lets valid orders on to their region's dispatcher, sends the rest to errors.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "runtime/config.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/stages.hpp"

namespace ordernode {

// Why `x` is invalid, or nothing when it is valid. `regions` are the known region names.
std::optional<std::string> check_order(const order& x, const validation_options& rules,
                                       const std::map<std::string, dispatcher_actor>& regions);

validator_actor::behavior_type validator(validator_actor::pointer self, validation_options rules,
                                         std::map<std::string, dispatcher_actor> regions,
                                         journal_actor journal, error_channel_actor errors,
                                         std::shared_ptr<node_metrics> metrics);

}  // namespace ordernode
