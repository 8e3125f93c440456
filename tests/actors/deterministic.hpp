// Deterministic test scaffolding for the actor tests: one actor system per test case on CAF's
// test_coordinator, with a simulated clock. Nothing runs until the test says so: `run()`
// delivers every message that is due now, `advance(d)` moves the simulated clock forward by
// `d` and delivers every delayed message (and timeout) that falls due on the way, at its time.
// Probes (probes.hpp) forward what they receive to a collector, which records the simulated
// time of each arrival, so a test can check when something happened, not just that it did.
//
// CAF's own test_coordinator_fixture (caf/test/dsl.hpp) cannot be used with doctest: its
// checks (CAF_CHECK, CAF_FAIL) report to CAF's unit test engine, which is not running here
// (engine::current_test() is null). This fixture is built on caf::scheduler::test_coordinator
// the same way, with doctest assertions.
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "tests/support/asking.hpp"
#include "tests/support/spawning.hpp"
#include "runtime/node/config.hpp"
#include "tests/actors/probes.hpp"

namespace ordernode::test {

// What one probe received, and when on the simulated clock (since the fixture started).
struct arrival {
  std::string at;
  bool urgent = false;
  caf::message content;
  caf::timespan when{0};
};

using arrival_log = std::deque<arrival>;

// A simulated time for messages: "50ms", or "50000001ns" when not whole milliseconds.
inline std::string show(caf::timespan x) {
  if (x.count() % 1000000 == 0)
    return std::to_string(x.count() / 1000000) + "ms";
  return std::to_string(x.count()) + "ns";
}

// The sink of the probes: appends each forwarded message to `log`, stamped with the
// simulated time. Everything runs on the test's thread, so the log needs no lock.
inline caf::behavior arrival_collector(caf::event_based_actor* self,
                                       std::shared_ptr<arrival_log> log,
                                       caf::actor_clock::time_point start) {
  return {
    [=](std::string& at, bool urgent, caf::message& content) {
      auto when = self->clock().now() - start;
      log->push_back(arrival{std::move(at), urgent, std::move(content), when});
    },
  };
}

// ordernode's node_config (all message types registered as in the node) on the testing
// scheduler, set up like caf::test_coordinator_fixture::init_config does.
class deterministic_config : public node_config {
public:
  deterministic_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
    set("logger.inline-output", true);
  }
};

class deterministic_fixture : public asking<deterministic_fixture>,
                              public spawning<deterministic_fixture> {
public:
  using scheduler_type = caf::scheduler::test_coordinator;

  deterministic_fixture()
      : sys{cfg}, sched{dynamic_cast<scheduler_type&>(sys.scheduler())}, self{sys, true} {
    spdlog::set_level(spdlog::level::warn);
    // As in test_coordinator_fixture: make sure the current time is not 0.
    sched.clock().current_time += std::chrono::hours(1);
    start_time = sched.clock().current_time;
    collector = sys.spawn(arrival_collector, arrivals, start_time);
  }

  deterministic_fixture(const deterministic_fixture&) = delete;
  deterministic_fixture& operator=(const deterministic_fixture&) = delete;

  virtual ~deterministic_fixture() {
    stop_spawned();
    caf::anon_send_exit(collector, caf::exit_reason::user_shutdown);
    // Drain: every message and every pending timeout, so no actor outlives the system.
    for (int rounds = 0; rounds < 1000; ++rounds) {
      sched.run();
      if (!sched.trigger_timeout())
        break;
    }
    sched.run();
  }

  caf::actor sink() {
    return collector;
  }

  // -- the simulated clock --------------------------------------------------------------------

  // The simulated time since the fixture started.
  caf::timespan elapsed() const {
    return sched.clock().current_time - start_time;
  }

  // When the next delayed message or timeout falls due, relative to now; none when nothing is
  // scheduled.
  std::optional<caf::timespan> next_timeout_in() const {
    auto& schedule = sched.clock().schedule();
    if (schedule.empty())
      return std::nullopt;
    return schedule.begin()->first - sched.clock().current_time;
  }

  // Delivers every message that is due now, without moving the clock. Returns how many
  // messages the actors handled.
  size_t run() {
    return sched.run();
  }

  // Moves the clock to the next pending timeout, fires it and delivers what follows from it.
  // Returns false when nothing is scheduled.
  bool run_next_timeout() {
    run();
    if (!sched.trigger_timeout())
      return false;
    run();
    return true;
  }

  // Moves the clock forward by `d`, firing every timeout due on the way at its own time, and
  // delivers every message. Returns the number of timeouts fired.
  size_t advance(caf::timespan d) {
    auto target = sched.clock().current_time + d;
    size_t fired = 0;
    run();
    for (;;) {
      auto& schedule = sched.clock().schedule();
      if (schedule.empty() || schedule.begin()->first > target)
        break;
      sched.trigger_timeout();
      ++fired;
      run();
    }
    if (sched.clock().current_time < target)
      sched.clock().current_time = target;
    return fired;
  }

  // Fires every timeout, however far away, and delivers everything: runs until the system is
  // idle. Stops after `limit` timeouts to survive an actor that keeps scheduling.
  size_t run_all(size_t limit = 10000) {
    size_t fired = 0;
    run();
    while (fired < limit && sched.trigger_timeout()) {
      ++fired;
      run();
    }
    return fired;
  }

  // -- what the probes received ---------------------------------------------------------------

  // The next message that reached the probe `at` by now (after delivering everything due
  // now), in arrival order; messages to other probes stay buffered. Never waits.
  std::optional<arrival> take(const std::string& at) {
    run();
    auto i = std::find_if(arrivals->begin(), arrivals->end(),
                          [&](const arrival& x) { return x.at == at; });
    if (i == arrivals->end())
      return std::nullopt;
    auto result = std::move(*i);
    arrivals->erase(i);
    return result;
  }

  // The next message to `at`, which must consist of `Ts...`; `last_urgent` and `last_time`
  // describe it afterwards.
  template <class... Ts>
  std::tuple<Ts...> expect(const std::string& at) {
    auto x = take(at);
    INFO("waiting for a message to ", at, " at ", show(elapsed()));
    REQUIRE(x.has_value());
    INFO("got ", caf::to_string(x->content));
    REQUIRE(x->content.template match_elements<Ts...>());
    last_urgent = x->urgent;
    last_time = x->when;
    return unpack<Ts...>(x->content, std::index_sequence_for<Ts...>{});
  }

  template <class T>
  T expect_one(const std::string& at) {
    return std::get<0>(expect<T>(at));
  }

  // Checks that nothing reached `at` by now.
  void expect_quiet(const std::string& at) {
    auto x = take(at);
    INFO("unexpected message to ", at, " at ", show(x ? x->when : elapsed()), ": ",
         x ? caf::to_string(x->content) : std::string{});
    CHECK_FALSE(x.has_value());
  }

  // Everything that reached `at` by now, in arrival order.
  std::vector<arrival> collect(const std::string& at) {
    std::vector<arrival> result;
    while (auto x = take(at))
      result.push_back(std::move(*x));
    return result;
  }

  // Sends a request, delivers every message and returns the response; an error when the
  // destination answered with one or did not answer at all.
  template <class T, class Dest, class... Ts>
  caf::expected<T> try_ask(const Dest& dest, Ts&&... xs) {
    auto handle = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    run();
    if (self->mailbox().empty())
      return caf::make_error(caf::sec::request_timeout);
    caf::expected<T> result{caf::sec::request_timeout};
    handle.receive([&](T& x) { result = std::move(x); }, [&](caf::error& err) { result = err; });
    return result;
  }

  deterministic_config cfg;
  caf::actor_system sys;
  scheduler_type& sched;
  caf::scoped_actor self;
  caf::actor_clock::time_point start_time;
  std::shared_ptr<arrival_log> arrivals = std::make_shared<arrival_log>();
  caf::actor collector;
  bool last_urgent = false;
  caf::timespan last_time{0};

private:
  template <class... Ts, size_t... Is>
  static std::tuple<Ts...> unpack(const caf::message& x, std::index_sequence<Is...>) {
    return std::tuple<Ts...>{x.get_as<Ts>(Is)...};
  }
};

}  // namespace ordernode::test
