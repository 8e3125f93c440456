// The watchdog: raises the Prometheus alerts from the node's own numbers, for nodes nobody scrapes.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include "actors/notifier.hpp"
#include "runtime/core/option_table.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

class node_metrics;

using check_atom = caf::atom_constant<caf::atom("check")>;

// The conditions of config/prometheus/alerts.yml; `window` plays the rules' [5m].
struct watchdog_options {
  bool enabled = true;
  caf::timespan interval = std::chrono::seconds(15);
  caf::timespan window = std::chrono::minutes(5);
  // Throughput drop: finished orders per second in the last window fell below this share of
  // the window before, which had at least `min_throughput`.
  double throughput_drop = 0.5;
  double min_throughput = 0.1;
  // Error rate: more than this share of the orders finished in the last window failed, were
  // rejected or dead-lettered, out of at least `min_orders`.
  double error_ratio = 0.2;
  int32_t min_orders = 20;
  // Broker lag: the oldest unconfirmed or unconsumed message is at least this old.
  caf::timespan broker_lag = std::chrono::seconds(30);
};

// The config keys watchdog.*.
option_table option_table_of(watchdog_options& x);

// Checks `x`; the error names the offending `watchdog.*` key.
caf::error check_watchdog_options(const watchdog_options& x);

// The node's numbers at one moment.
struct watchdog_sample {
  timestamp at = 0;
  double finished = 0;  // Orders that reached any final state, ever.
  double failed = 0;    // Of those, the failed, rejected and dead-lettered ones.
  double broker_lag_seconds = 0;
};

// Reads a sample from `metrics` now.
watchdog_sample sample_of(const node_metrics& metrics);

// An alert that started or stopped firing.
struct alert_change {
  std::string name;  // "throughput_drop", "error_rate" or "broker_lag".
  bool firing = false;
  std::string detail;
  error_type type = error_type::throughput_drop;  // The same as `name`.
};

// The alert conditions over a history of samples; no actor, no clock.
class watchdog_rules {
public:
  explicit watchdog_rules(watchdog_options options);

  // Adds `x` (newer than every sample before) and returns the alerts that changed.
  std::vector<alert_change> add(const watchdog_sample& x);

  // The alerts firing now.
  std::vector<std::string> firing() const;

private:
  // The newest sample at or before `at`, or nullptr.
  const watchdog_sample* at_or_before(timestamp at) const;

  void set(std::vector<alert_change>& changes, size_t index, bool firing, std::string detail);

  watchdog_options options_;
  std::deque<watchdog_sample> history_;
  bool firing_[3] = {false, false, false};
};

using watchdog_actor =
  caf::typed_actor<caf::reacts_to<tick_atom>,
                   caf::replies_to<check_atom>::with<std::vector<std::string>>>;

struct watchdog_state {
  std::unique_ptr<watchdog_rules> rules;

  static inline const char* name = "watchdog";
};

// Every `interval`, takes a sample, and sends each alert that starts or stops firing to the
// notifier as an error report of stage "watchdog". `check` does the same at once and answers
// the alerts firing. `metrics` (may be null) counts the alerts raised.
watchdog_actor::behavior_type watchdog(watchdog_actor::stateful_pointer<watchdog_state> self,
                                       watchdog_options options,
                                       std::function<watchdog_sample()> sample,
                                       notifier_ref notifier,
                                       std::shared_ptr<node_metrics> metrics);

}  // namespace ordernode
