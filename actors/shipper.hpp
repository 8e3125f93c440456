// The shipper: hands processed orders to the shipping system, retrying with delayed messages.
#pragma once

#include <memory>

#include "runtime/config.hpp"
#include "runtime/external/shipping_system.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/stages.hpp"

namespace ordernode {

// The wait before attempt `attempt + 1`: the configured delay, doubled per attempt under
// exponential backoff (capped), varied randomly by the jitter share.
caf::timespan retry_delay(const shipper_options& options, int32_t attempt);

// Records every attempt as `shipping`; on success records `completed` with the tracking
// number. A failed attempt is retried up to `max-retries` times, `retry-delay` apart, while
// other orders keep shipping; after the last one the order goes to the error channel.
// Records attempt durations and retries.
shipper_actor::behavior_type shipper(shipper_actor::pointer self, shipper_options options,
                                     std::shared_ptr<shipping_system> system, journal_actor journal,
                                     error_channel_actor errors,
                                     std::shared_ptr<node_metrics> metrics);

}  // namespace ordernode
