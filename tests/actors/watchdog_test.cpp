#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <mutex>

#include "actors/watchdog.hpp"
#include "probes.hpp"
#include "runtime/metrics/node_metrics.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

constexpr timestamp second = 1'000'000'000;

watchdog_options small_options() {
  watchdog_options x;
  x.interval = std::chrono::seconds(10);
  x.window = std::chrono::seconds(60);
  x.throughput_drop = 0.5;
  x.min_throughput = 0.1;
  x.error_ratio = 0.2;
  x.min_orders = 20;
  x.broker_lag = std::chrono::seconds(30);
  return x;
}

// Feeds samples every 10 s with `finished` growing by `rate`/s from `from` s on.
struct feeder {
  watchdog_rules rules{small_options()};
  timestamp at = 0;
  double finished = 0;
  double failed = 0;
  double lag = 0;

  std::vector<alert_change> step(double rate, double failed_share = 0) {
    at += 10 * second;
    finished += 10 * rate;
    failed += 10 * rate * failed_share;
    return rules.add({at, finished, failed, lag});
  }
};

inline notifier_actor::behavior_type notifier_probe(notifier_actor::pointer self, caf::actor sink) {
  return {
    [=](error_report& x) { forward(self, sink, "notifier", std::move(x)); },
    [=](digest_atom, uint64_t) {},
    [=](flush_atom) { return true; },
    [=](stats_atom) { return notifier_stats{}; },
  };
}

// Samples the test sets by hand, read by the watchdog actor on its own thread.
struct scripted_samples {
  std::mutex mtx;
  watchdog_sample next;

  void set(watchdog_sample x) {
    std::lock_guard<std::mutex> guard{mtx};
    next = x;
  }

  watchdog_sample get() {
    std::lock_guard<std::mutex> guard{mtx};
    return next;
  }
};

}  // namespace

TEST_CASE("a steady throughput raises nothing; a drop below half raises throughput_drop") {
  feeder f;
  for (int i = 0; i < 30; ++i)
    CHECK(f.step(2.0).empty());
  // 0.9/s against 2/s: the current window falls under half after enough low samples.
  std::vector<alert_change> changes;
  int steps = 0;
  while (changes.empty() && steps < 12) {
    changes = f.step(0.5);
    ++steps;
  }
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].name == "throughput_drop");
  CHECK(changes[0].firing);
  CHECK(changes[0].detail.find("/s from 2.00/s") != std::string::npos);
  CHECK(steps > 1);  // One low sample in a 60 s window is not yet a drop below half.
  CHECK(f.rules.firing() == std::vector<std::string>{"throughput_drop"});
  // Once the old window is low too, the rates agree again and the alert resolves.
  for (int i = 0; i < 12 && !f.rules.firing().empty(); ++i)
    f.step(0.5);
  CHECK(f.rules.firing().empty());
}

TEST_CASE("a drop from a throughput below min-throughput raises nothing") {
  feeder f;
  for (int i = 0; i < 30; ++i)
    f.step(0.05);
  for (int i = 0; i < 30; ++i)
    CHECK(f.step(0).empty());
}

TEST_CASE("a history shorter than two windows raises no throughput drop") {
  feeder f;
  for (int i = 0; i < 6; ++i)
    CHECK(f.step(5).empty());
  for (int i = 0; i < 5; ++i)
    CHECK(f.step(0).empty());
}

TEST_CASE("error_rate fires above error-ratio with enough orders, and resolves") {
  feeder f;
  for (int i = 0; i < 10; ++i)
    CHECK(f.step(1, 0.1).empty());
  auto changes = f.step(1, 1.0);
  for (int i = 0; i < 6 && changes.empty(); ++i)
    changes = f.step(1, 1.0);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].name == "error_rate");
  CHECK(changes[0].firing);
  CHECK(changes[0].detail.find("orders finished in the last 60 s failed") != std::string::npos);
  for (int i = 0; i < 10 && !f.rules.firing().empty(); ++i)
    changes = f.step(1, 0.0);
  CHECK(f.rules.firing().empty());
  REQUIRE(changes.size() == 1);
  CHECK_FALSE(changes[0].firing);
}

TEST_CASE("error_rate needs min-orders finished orders in the window") {
  feeder f;
  // 0.3 orders/s is 18 per 60 s window: below min-orders = 20, all failing.
  for (int i = 0; i < 20; ++i)
    CHECK(f.step(0.3, 1.0).empty());
}

TEST_CASE("error_rate at exactly error-ratio does not fire") {
  feeder f;
  for (int i = 0; i < 20; ++i)
    CHECK(f.step(1, 0.2).empty());
}

TEST_CASE("broker_lag fires at broker-lag and resolves below") {
  feeder f;
  f.lag = 29.9;
  CHECK(f.step(1).empty());
  f.lag = 30;
  auto changes = f.step(1);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].name == "broker_lag");
  CHECK(changes[0].firing);
  CHECK(f.step(1).empty());  // Still firing: no new notification.
  f.lag = 0;
  changes = f.step(1);
  REQUIRE(changes.size() == 1);
  CHECK_FALSE(changes[0].firing);
}

TEST_CASE("check_watchdog_options names the bad key") {
  auto x = small_options();
  CHECK_FALSE(check_watchdog_options(x));
  x.window = std::chrono::seconds(1);
  CHECK(describe(check_watchdog_options(x)).find("watchdog.window") != std::string::npos);
  x = small_options();
  x.error_ratio = 1.5;
  CHECK(describe(check_watchdog_options(x)).find("watchdog.error-ratio") != std::string::npos);
  x = small_options();
  x.throughput_drop = 0;
  CHECK(describe(check_watchdog_options(x)).find("watchdog.throughput-drop") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "the watchdog actor sends alerts and resolutions to the notifier") {
  auto samples = std::make_shared<scripted_samples>();
  auto metrics = std::make_shared<node_metrics>(std::vector<std::string>{"eu"}, nullptr);
  auto options = small_options();
  options.interval = std::chrono::hours(1);  // The test ticks it with `check`.
  auto uut = spawn(
    watchdog, options, [samples] { return samples->get(); }, spawn(notifier_probe, sink()),
    metrics);
  samples->set({1 * second, 0, 0, 0});
  CHECK(ask<std::vector<std::string>>(uut, check_atom::value).empty());
  samples->set({11 * second, 100, 0, 45});
  CHECK(ask<std::vector<std::string>>(uut, check_atom::value)
        == std::vector<std::string>{"broker_lag"});
  auto r = expect_one<error_report>("notifier");
  CHECK(r.order_id.empty());
  CHECK(r.stage == stage_id::watchdog);
  CHECK(r.type == error_type::broker_lag);
  CHECK(r.cause.find("45.0 s") != std::string::npos);
  CHECK(r.at > 0);
  samples->set({21 * second, 200, 150, 45});
  CHECK(ask<std::vector<std::string>>(uut, check_atom::value)
        == std::vector<std::string>{"error_rate", "broker_lag"});
  r = expect_one<error_report>("notifier");
  CHECK(r.type == error_type::error_rate);
  CHECK(r.cause.find("150 of 200 orders") != std::string::npos);
  samples->set({31 * second, 300, 150, 0});
  CHECK(ask<std::vector<std::string>>(uut, check_atom::value)
        == std::vector<std::string>{"error_rate"});
  r = expect_one<error_report>("notifier");
  CHECK(r.type == error_type::resolved);
  CHECK(r.cause.rfind("broker_lag: ", 0) == 0);
  expect_quiet("notifier", 50ms);
  auto text = render_metrics(*metrics);
  CHECK(text.find("ordernode_watchdog_alerts_total{alert=\"broker_lag\"} 1") != std::string::npos);
  CHECK(text.find("ordernode_watchdog_alerts_total{alert=\"error_rate\"} 1") != std::string::npos);
  CHECK(text.find("ordernode_watchdog_alerts_total{alert=\"throughput_drop\"} 0")
        != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "the watchdog reads the node's metrics on its timer") {
  auto metrics = std::make_shared<node_metrics>(std::vector<std::string>{"eu"}, nullptr);
  auto options = small_options();
  options.interval = std::chrono::milliseconds(20);
  options.window = std::chrono::milliseconds(20);
  metrics->broker().lag_seconds->Set(31);
  spawn(
    watchdog, options, [metrics] { return sample_of(*metrics); }, spawn(notifier_probe, sink()),
    metrics);
  auto r = expect_one<error_report>("notifier");
  CHECK(r.type == error_type::broker_lag);
  CHECK(r.cause.find("31.0 s") != std::string::npos);
}
