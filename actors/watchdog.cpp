#include "actors/watchdog.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"
#include "runtime/metrics/node_metrics.hpp"

namespace ordernode {

namespace {

const error_type alert_types[3] = {error_type::throughput_drop, error_type::error_rate,
                                   error_type::broker_lag};

double seconds_of(timestamp x) {
  return static_cast<double>(x) / 1e9;
}

double seconds_of(caf::timespan x) {
  return std::chrono::duration<double>(x).count();
}

}  // namespace

option_table option_table_of(watchdog_options& x) {
  option_table result{"watchdog"};
  result.add(x.enabled, "enabled", "raise alerts through the notifier from the node's numbers")
    .add(x.interval, "interval", "time between two checks", span_rule::positive)
    .add(x.window, "window", "time over which rates are measured", span_rule::positive)
    .add(x.throughput_drop, "throughput-drop",
         "alert when throughput falls below this share of the window before, 0 to 1", 0, 1)
    .add(x.min_throughput, "min-throughput",
         "orders/s the window before needs for a throughput drop to count", 0, 1e9)
    .add(x.error_ratio, "error-ratio", "alert when more of the finished orders fail, 0 to 1", 0, 1)
    .add(x.min_orders, "min-orders", "finished orders a window needs for the error rate", 1,
         1000000000)
    .add(x.broker_lag, "broker-lag", "alert when the oldest broker message is this old",
         span_rule::positive)
    .rule("window",
          [&x] {
            return x.window < x.interval ? "must not be shorter than watchdog.interval"
                                         : std::string{};
          })
    .rule("throughput-drop", [&x] {
      return x.throughput_drop <= 0 ? "must be above 0 and at most 1" : std::string{};
    });
  return result;
}

caf::error check_watchdog_options(const watchdog_options& x) {
  auto copy = x;
  return option_table_of(copy).apply();
}

watchdog_sample sample_of(const node_metrics& metrics) {
  auto counts = metrics.counts();
  return {now(), counts.completed + counts.failed, counts.failed,
          metrics.broker().lag_seconds->Value()};
}

watchdog_rules::watchdog_rules(watchdog_options options) : options_(std::move(options)) {}

const watchdog_sample* watchdog_rules::at_or_before(timestamp at) const {
  for (auto i = history_.rbegin(); i != history_.rend(); ++i)
    if (i->at <= at)
      return &*i;
  return nullptr;
}

void watchdog_rules::set(std::vector<alert_change>& changes, size_t index, bool firing,
                         std::string detail) {
  if (firing_[index] == firing)
    return;
  firing_[index] = firing;
  changes.push_back({to_string(alert_types[index]), firing, std::move(detail), alert_types[index]});
}

std::vector<alert_change> watchdog_rules::add(const watchdog_sample& x) {
  auto window = options_.window.count();
  history_.push_back(x);
  while (history_.size() > 2 && history_[1].at <= x.at - 2 * window)
    history_.pop_front();
  std::vector<alert_change> changes;
  // Throughput: the last window against the one before.
  {
    auto* a = at_or_before(x.at - window);
    auto* b = at_or_before(x.at - 2 * window);
    bool firing = false;
    std::string detail;
    if (a != nullptr && b != nullptr && a->at > b->at && x.at > a->at) {
      auto current = (x.finished - a->finished) / seconds_of(x.at - a->at);
      auto previous = (a->finished - b->finished) / seconds_of(a->at - b->at);
      firing = previous >= options_.min_throughput && current < options_.throughput_drop * previous;
      detail = fmt::format("finished orders fell to {:.2f}/s from {:.2f}/s", current, previous);
    }
    set(changes, 0, firing, detail.empty() ? "throughput back to normal" : detail);
  }
  // Error rate over the last window (or what there is of it).
  {
    auto* a = at_or_before(x.at - window);
    if (a == nullptr && history_.front().at < x.at)
      a = &history_.front();
    bool firing = false;
    std::string detail = "error rate back to normal";
    if (a != nullptr) {
      auto finished = x.finished - a->finished;
      auto failed = x.failed - a->failed;
      if (finished > 0) {
        firing = finished >= options_.min_orders && failed / finished > options_.error_ratio;
        detail =
          fmt::format("{:.0f} of {:.0f} orders finished in the last {:.0f} s failed ({:.1f}%)",
                      failed, finished, seconds_of(x.at - a->at), 100 * failed / finished);
      }
    }
    set(changes, 1, firing, detail);
  }
  // Broker lag.
  set(changes, 2, x.broker_lag_seconds >= seconds_of(options_.broker_lag),
      fmt::format("the oldest broker message waits for {:.1f} s", x.broker_lag_seconds));
  return changes;
}

std::vector<std::string> watchdog_rules::firing() const {
  std::vector<std::string> result;
  for (size_t i = 0; i < 3; ++i)
    if (firing_[i])
      result.push_back(to_string(alert_types[i]));
  return result;
}

watchdog_actor::behavior_type watchdog(watchdog_actor::stateful_pointer<watchdog_state> self,
                                       watchdog_options options,
                                       std::function<watchdog_sample()> sample,
                                       notifier_ref notifier,
                                       std::shared_ptr<node_metrics> metrics) {
  self->state.rules = std::make_unique<watchdog_rules>(options);
  auto check = [=] {
    for (auto& change : self->state.rules->add(sample())) {
      if (change.firing) {
        spdlog::warn("watchdog: alert {} firing: {}", change.name, change.detail);
        if (metrics)
          metrics->alert(change.name);
      } else {
        spdlog::info("watchdog: alert {} resolved: {}", change.name, change.detail);
      }
      if (auto& hdl = notifier.get())
        self->send(
          hdl,
          error_report{"", stage_id::watchdog, change.firing ? change.type : error_type::resolved,
                       change.firing ? change.detail : change.name + ": " + change.detail, now()});
    }
    return self->state.rules->firing();
  };
  self->delayed_send(self, options.interval, tick_atom::value);
  return {
    [=](tick_atom) {
      check();
      self->delayed_send(self, options.interval, tick_atom::value);
    },
    [=](check_atom) { return check(); },
  };
}

}  // namespace ordernode
