#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>

#include "actors/supervisor.hpp"
#include "runtime/core/errors.hpp"
#include "tests/actors/deterministic.hpp"

using namespace ordernode;
using namespace ordernode::test;
using namespace std::chrono_literals;

namespace {

// What the supervisor told the node when it gave up.
struct escalations {
  std::mutex mtx;
  std::vector<std::string> reasons;

  std::vector<std::string> get() {
    std::lock_guard<std::mutex> guard{mtx};
    return reasons;
  }
};

// On the deterministic scheduler (deterministic.hpp): backoffs and crash injections are delayed
// messages on the simulated clock, so each case checks when restarts happen.
struct supervisor_fixture : deterministic_fixture {
  std::shared_ptr<actor_registry> registry = std::make_shared<actor_registry>();
  std::shared_ptr<escalations> gave_up = std::make_shared<escalations>();
  validator_ref validator;
  supervisor_actor uut;
  std::vector<caf::actor> incarnations;

  supervisor_actor start(supervisor_options options, std::vector<child_spec> extra = {}) {
    auto spawn_validator = [ref = validator, sink = sink(), this](caf::actor_system& sys) mutable {
      auto hdl = sys.spawn(validator_probe, sink);
      ref.set(hdl);
      incarnations.push_back(caf::actor_cast<caf::actor>(hdl));
      return caf::actor_cast<caf::actor>(hdl);
    };
    auto first = spawn_validator(sys);
    std::vector<child_spec> children{
      {"validator", "validator", spawn_validator, {order_state::received}, "", first}};
    for (auto& x : extra)
      children.push_back(std::move(x));
    intake_ref intake{spawn(intake_probe, sink(), refusal::none)};
    error_channel_ref errors{spawn(error_channel_probe, sink())};
    uut = spawn(supervisor, std::move(options), std::move(children), registry, intake, errors,
                escalation{[log = gave_up](const std::string& why) {
                  std::lock_guard<std::mutex> guard{log->mtx};
                  log->reasons.push_back(why);
                }});
    return uut;
  }

  ~supervisor_fixture() {
    caf::anon_send_exit(uut, caf::exit_reason::user_shutdown);
    for (auto& x : incarnations)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
  }

  static supervisor_options fast(int32_t max_restarts = 5) {
    supervisor_options result;
    result.max_restarts = max_restarts;
    result.restart_window = 10s;
    result.backoff = 10ms;
    result.max_backoff = 100ms;
    return result;
  }

  error_report next_report() {
    return expect_one<error_report>("errors");
  }

  // Moves the clock to just before `t` (since the start), checking that neither the error
  // channel nor the intake got anything on the way, then to `t`.
  void nothing_before(caf::timespan t) {
    REQUIRE(elapsed() < t);
    advance(t - elapsed() - 1ns);
    expect_quiet("errors");
    expect_quiet("intake");
    advance(1ns);
  }

  uint64_t restarts_of(const std::string& name) {
    for (auto& x : registry->snapshot())
      if (x.name == name)
        return x.restarts;
    FAIL("no actor named " << name);
    return 0;
  }
};

}  // namespace

TEST_CASE_FIXTURE(supervisor_fixture, "a crashed stage is restarted and its orders re-sent") {
  start(fast());
  auto first = validator.get();
  REQUIRE(first);
  self->send(uut, crash_atom::value, std::string{"validator"});
  auto crash = next_report();
  CHECK(last_time == 0ms);
  CHECK(crash.stage == stage_id::supervisor);
  CHECK(crash.type == error_type::crash);
  CHECK(crash.cause.find("validator died") != std::string::npos);
  CHECK(crash.cause.find("injected_crash") != std::string::npos);
  // The restart, and the re-sending of its orders, wait for the backoff.
  nothing_before(10ms);
  auto restart = next_report();
  CHECK(restart.type == error_type::restart);
  CHECK(last_time == 10ms);
  auto [atom, states, region] =
    expect<redrive_atom, std::vector<order_state>, std::string>("intake");
  CHECK(last_time == 10ms);
  CHECK(states == std::vector<order_state>{order_state::received});
  CHECK(region.empty());
  // Senders holding the reference reach the new incarnation.
  REQUIRE(validator.get());
  CHECK(validator.get() != first);
  self->send(validator.get(), make_order("after-restart"));
  CHECK(expect_one<order>("validator").id == "after-restart");
  CHECK(restarts_of("validator") == 1);
  CHECK(gave_up->get().empty());
}

TEST_CASE_FIXTURE(supervisor_fixture, "an uncaught exception is a crash like any other") {
  start(fast());
  auto first = validator.get();
  self->send_exit(first, caf::exit_reason::unhandled_exception);
  CHECK(next_report().type == error_type::crash);
  CHECK(last_time == 0ms);
  nothing_before(10ms);
  CHECK(next_report().type == error_type::restart);
  CHECK(last_time == 10ms);
  CHECK(validator.get() != first);
  CHECK(restarts_of("validator") == 1);
}

TEST_CASE_FIXTURE(supervisor_fixture, "too many restarts in the window stop the node instead") {
  start(fast(2));
  for (int i = 0; i < 2; ++i) {
    self->send(uut, crash_atom::value, std::string{"validator"});
    CHECK(next_report().type == error_type::crash);
    CHECK(run_next_timeout());  // The backoff.
    CHECK(next_report().type == error_type::restart);
  }
  auto crashed_at = elapsed();
  self->send(uut, crash_atom::value, std::string{"validator"});
  auto report = next_report();
  CHECK(report.type == error_type::escalation);
  CHECK(last_time == crashed_at);  // At once, without a backoff.
  CHECK(report.cause.find("after 2 restarts") != std::string::npos);
  REQUIRE(gave_up->get().size() == 1);
  CHECK(gave_up->get()[0].find("validator died") != std::string::npos);
  run_all();
  expect_quiet("errors");
  CHECK(restarts_of("validator") == 2);
  CHECK_FALSE(registry->find("validator"));
}

TEST_CASE_FIXTURE(supervisor_fixture, "the backoff doubles with each restart in the window") {
  auto options = fast();
  options.backoff = 100ms;
  options.max_backoff = 1s;
  start(options);
  // Five restarts within the window (max-restarts is 5): 100, 200, 400, 800 ms, then 1600 ms
  // capped at max-backoff.
  std::vector<caf::timespan> waits;
  for (int i = 0; i < 5; ++i) {
    self->send(uut, crash_atom::value, std::string{"validator"});
    CHECK(next_report().type == error_type::crash);
    auto crashed_at = last_time;
    CHECK(crashed_at == elapsed());
    REQUIRE(run_next_timeout());  // Fires the delayed restart, whenever it is due.
    CHECK(next_report().type == error_type::restart);
    waits.push_back(last_time - crashed_at);
  }
  CHECK(waits == std::vector<caf::timespan>{100ms, 200ms, 400ms, 800ms, 1s});
  CHECK(restarts_of("validator") == 5);
  CHECK(gave_up->get().empty());
}

TEST_CASE_FIXTURE(supervisor_fixture, "restarts older than the window no longer count") {
  auto options = fast(2);
  options.backoff = 100ms;
  options.max_backoff = 1s;
  start(options);
  auto crash_and_restart = [&] {
    self->send(uut, crash_atom::value, std::string{"validator"});
    CHECK(next_report().type == error_type::crash);
    auto crashed_at = last_time;
    REQUIRE(run_next_timeout());
    CHECK(next_report().type == error_type::restart);
    return last_time - crashed_at;
  };
  CHECK(crash_and_restart() == 100ms);
  CHECK(crash_and_restart() == 200ms);
  // Two restarts fill the window; once it has passed, the backoff starts over and a third
  // crash is restarted instead of stopping the node.
  advance(options.restart_window);
  CHECK(crash_and_restart() == 100ms);
  CHECK(restarts_of("validator") == 3);
  CHECK(gave_up->get().empty());
}

TEST_CASE_FIXTURE(supervisor_fixture, "a stage that stops on shutdown is not restarted") {
  start(fast());
  self->send_exit(validator.get(), caf::exit_reason::user_shutdown);
  run_all();
  expect_quiet("errors");
  CHECK(restarts_of("validator") == 0);
  CHECK(gave_up->get().empty());
}

TEST_CASE_FIXTURE(supervisor_fixture, "the death of a stage without a restart recipe escalates") {
  auto journal = spawn(journal_probe, sink(), journal_script{});
  start(fast(), {{"journal", "journal", {}, {}, "", caf::actor_cast<caf::actor>(journal)}});
  self->send_exit(journal, caf::exit_reason::unhandled_exception);
  CHECK(next_report().type == error_type::escalation);
  REQUIRE(gave_up->get().size() == 1);
  CHECK(gave_up->get()[0].find("journal died") != std::string::npos);
}

TEST_CASE_FIXTURE(supervisor_fixture, "configured crash injections fire once after their delay") {
  auto options = fast();
  options.inject_crash = {"validator@400ms"};
  start(options);
  nothing_before(400ms);
  auto crash = next_report();
  CHECK(last_time == 400ms);
  CHECK(crash.type == error_type::crash);
  CHECK(crash.cause.find("injected") != std::string::npos);
  nothing_before(410ms);  // The backoff.
  CHECK(next_report().type == error_type::restart);
  CHECK(last_time == 410ms);
  run_all();
  expect_quiet("errors");
  CHECK(restarts_of("validator") == 1);
}
