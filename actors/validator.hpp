// The validator: lets valid orders on to their region's dispatcher, sends the rest to errors.
#pragma once

#include <memory>

#include "runtime/core/order_rules.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

validator_actor::behavior_type validator(validator_actor::pointer self, order_rules rules,
                                         dispatcher_refs regions, journal_actor journal,
                                         error_channel_ref errors,
                                         std::shared_ptr<node_metrics> metrics);

}  // namespace ordernode
