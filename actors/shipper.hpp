// The shipper: hands processed orders to the shipping system, retrying with delayed messages.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "runtime/external/shipping_system.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/core/option_table.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

// How the wait between two attempts grows.
enum class retry_backoff : uint8_t { fixed, exponential };

struct shipper_options : mock_shipping_options {
  int32_t max_retries = 3;
  caf::timespan retry_delay = std::chrono::seconds(2);
  retry_backoff backoff = retry_backoff::fixed;  // Exponential: the delay doubles per attempt.
  caf::timespan max_retry_delay = std::chrono::minutes(1);
  double jitter = 0;  // Each delay varies randomly by up to this share.
  caf::timespan attempt_timeout = std::chrono::seconds(30);
};

struct shipper_state {
  std::unordered_set<std::string> holding;
  std::unordered_set<std::string> recent;  // Shipped lately; bounded by `recent_order`.
  std::unordered_map<std::string, std::string> gave_up;  // Failed lately, with the cause.
  std::deque<std::string> recent_order;

  static inline const char* name = "shipper";
};

using shipper_pointer = shipper_actor::stateful_pointer<shipper_state>;

// The config keys shipper.*, the mock's included.
option_table option_table_of(shipper_options& x);

// The wait before attempt `attempt + 1`: the configured delay, doubled per attempt under
// exponential backoff (capped), varied randomly by the jitter share.
caf::timespan retry_delay(const shipper_options& options, int32_t attempt);

// Records every attempt as `shipping`; on success records `completed` with the tracking
// number. A failed attempt is retried up to `max-retries` times, `retry-delay` apart, while
// other orders keep shipping; after the last one the order goes to the error channel.
// An order it holds already, or shipped recently, is not shipped again: after a restart
// elsewhere the supervisor may re-send orders. One it gave up on lately is reported to the
// error channel again, since the first report may have died with a restarting error channel.
// Records attempt durations and retries.
shipper_actor::behavior_type shipper(shipper_pointer self, shipper_options options,
                                     std::shared_ptr<shipping_system> system, journal_actor journal,
                                     error_channel_ref errors,
                                     std::shared_ptr<node_metrics> metrics);

}  // namespace ordernode
