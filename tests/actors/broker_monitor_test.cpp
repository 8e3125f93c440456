#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "actors/broker_monitor.hpp"
#include "probes.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

struct monitor_fixture : fixture {
  broker_monitor_actor start(size_t max_tracked = 100) {
    broker_options options;
    options.result_deadline = std::chrono::seconds(2);
    options.delay_threshold = std::chrono::milliseconds(500);
    return spawn(broker_monitor, options, error_channel_ref{spawn(error_channel_probe, sink())},
                 max_tracked);
  }

  std::pair<uint64_t, uint64_t> counts(const broker_monitor_actor& uut) {
    std::pair<uint64_t, uint64_t> result;
    // Longer than any sleep of a test: a request timeout that fires after its answer would
    // stay in the scoped actor's mailbox and leak with it (LeakSanitizer).
    self->request(uut, std::chrono::seconds(30), check_results_atom::value)
      .receive(
        [&](uint64_t lost, uint64_t delayed) {
          result = {lost, delayed};
        },
        [&](caf::error& err) { FAIL(describe(err)); });
    return result;
  }

  static order_result result_of(const std::string& id, timestamp at) {
    return order_result{id, order_state::completed, "", "node-b", at};
  }
};

constexpr timestamp second = 1'000'000'000;

}  // namespace

TEST_CASE_FIXTURE(monitor_fixture, "a result that never comes back is reported lost, once") {
  auto uut = start();
  auto t = now();
  self->send(uut, published_atom::value, std::vector<std::string>{"late", "back", "gone"},
             t - 3 * second);
  self->send(uut, result_atom::value, result_of("back", t - 3 * second + second / 10));
  CHECK(counts(uut) == std::pair<uint64_t, uint64_t>{2, 0});
  std::set<std::string> causes;
  for (int i = 0; i < 2; ++i) {
    auto x = expect_one<error_report>("errors");
    CHECK(x.order_id.empty());  // A warning, not an error of the order itself.
    CHECK(x.stage == stage_id::broker);
    CHECK(x.type == error_type::result_missing);
    causes.insert(x.cause.substr(0, x.cause.find(':')));
  }
  CHECK(causes == std::set<std::string>{"order late", "order gone"});
  // A result after the deadline changes nothing: the loss was told already.
  self->send(uut, result_atom::value, result_of("late", t));
  CHECK(counts(uut) == std::pair<uint64_t, uint64_t>{2, 0});
  expect_quiet("errors", 300ms);
}

TEST_CASE_FIXTURE(monitor_fixture, "a result later than the threshold is reported delayed") {
  auto uut = start();
  auto t = now();
  self->send(uut, published_atom::value, std::vector<std::string>{"slow", "quick"}, t);
  self->send(uut, result_atom::value, result_of("quick", t + second / 10));
  self->send(uut, result_atom::value, result_of("slow", t + second));
  auto x = expect_one<error_report>("errors");
  CHECK(x.type == error_type::result_delayed);
  CHECK(x.cause.find("order slow: completed on node-b 1.0") != std::string::npos);
  CHECK(counts(uut) == std::pair<uint64_t, uint64_t>{0, 1});
  // Results that came back in time are never reported lost.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(counts(uut) == std::pair<uint64_t, uint64_t>{0, 1});
  expect_quiet("errors", 100ms);
}

TEST_CASE_FIXTURE(monitor_fixture, "memory stays bounded: the oldest tracked orders are dropped") {
  auto uut = start(10);
  auto t = now() - 3 * second;
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i)
    ids.push_back("o" + std::to_string(i));
  self->send(uut, published_atom::value, ids, t);
  CHECK(counts(uut).first == 10);
}
