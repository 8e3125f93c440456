// The broker monitor: sees each published order come back as a result, and reports the ones
// that do not (loss) or come back late (delay).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/broker/broker_options.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

struct broker_monitor_state {
  std::unordered_map<std::string, timestamp> waiting;  // Order id -> publish time.
  std::deque<std::pair<timestamp, std::string>> by_age;
  uint64_t lost = 0;
  uint64_t delayed = 0;

  static inline const char* name = "broker_monitor";
};

// Remembers each published order (at most `max_tracked`, the oldest forgotten first); every
// second reports to the error channel, as one error each, the orders whose result did not come
// back within `result_deadline`, and the results that came later than `delay_threshold`.
// `check_results` answers the counts of both so far.
broker_monitor_actor::behavior_type broker_monitor(
  broker_monitor_actor::stateful_pointer<broker_monitor_state> self, broker_options options,
  error_channel_ref errors, size_t max_tracked);

}  // namespace ordernode
