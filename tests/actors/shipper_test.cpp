#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <map>
#include <mutex>

#include "actors/shipper.hpp"
#include "tests/actors/deterministic.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

// Fails the first attempts of the products in `failures` and logs every attempt.
class fake_shipping : public shipping_system {
public:
  fake_shipping(std::map<std::string, int32_t> failures, caf::timespan delay)
      : failures_(std::move(failures)), delay_(delay) {}

  caf::timespan latency(const order&) override {
    return delay_;
  }

  caf::expected<std::string> ship(const order& x, int32_t attempt) override {
    std::lock_guard<std::mutex> guard{mtx_};
    attempts_.emplace_back(x.id, attempt);
    if (auto i = failures_.find(x.product_name); i != failures_.end() && attempt <= i->second)
      return caf::make_error(caf::sec::runtime_error, "carrier down");
    return "TRK-" + x.id;
  }

  std::vector<std::pair<std::string, int32_t>> attempts() {
    std::lock_guard<std::mutex> guard{mtx_};
    return attempts_;
  }

private:
  std::map<std::string, int32_t> failures_;
  caf::timespan delay_;
  std::mutex mtx_;
  std::vector<std::pair<std::string, int32_t>> attempts_;
};

// On the deterministic scheduler (deterministic.hpp): retries, latencies and attempt timeouts
// are delayed messages on the simulated clock, so each case checks when things happen.
struct shipper_fixture : deterministic_fixture {
  shipper_actor start(std::map<std::string, int32_t> failures, caf::timespan retry_delay,
                      caf::timespan delay = caf::timespan{0},
                      caf::timespan attempt_timeout = std::chrono::seconds(30)) {
    shipper_options options;
    options.max_retries = 3;
    options.attempt_timeout = attempt_timeout;
    options.retry_delay = retry_delay;
    return start_with(options, std::move(failures), delay);
  }

  shipper_actor start_with(shipper_options options, std::map<std::string, int32_t> failures,
                           caf::timespan delay = caf::timespan{0}) {
    system = std::make_shared<fake_shipping>(std::move(failures), delay);
    return spawn(shipper, options, system, spawn(journal_probe, sink(), journal_script{}),
                 spawn(error_channel_probe, sink()), nullptr);
  }

  // The next journal event, which must be `state` for `id`, recorded at `at` on the clock.
  order_event next_event(const std::string& id, order_state state, caf::timespan at) {
    auto e = expect_one<order_event>("journal");
    CHECK(e.order_id == id);
    CHECK(e.state == state);
    CHECK(last_time == at);
    return e;
  }

  // The recorded plan after a failed attempt: attempt `n` due `delay` later.
  void plan(const std::string& id, int32_t n, caf::timespan at, caf::timespan delay) {
    auto e = next_event(id, order_state::shipping, at);
    CHECK(e.attempt == n);
    CHECK(e.due - e.at == std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count());
    CHECK(e.detail.find("attempt " + std::to_string(n - 1) + " failed: ") == 0);
  }

  // Moves the clock to just before `t` (since the start), checking that neither the journal
  // nor the error channel got anything on the way, then to `t`.
  void nothing_before(caf::timespan t) {
    REQUIRE(elapsed() < t);
    advance(t - elapsed() - caf::timespan{1});
    expect_quiet("journal");
    expect_quiet("errors");
    advance(caf::timespan{1});
  }

  std::shared_ptr<fake_shipping> system;
};

using attempt_log = std::vector<std::pair<std::string, int32_t>>;

}  // namespace

TEST_CASE_FIXTURE(shipper_fixture, "a successful shipment records shipping then completed") {
  auto uut = start({}, 50ms);
  self->send(uut, ship_atom::value, make_order("order-1"));
  auto shipping = expect_one<order_event>("journal");
  CHECK(shipping.order_id == "order-1");
  CHECK(shipping.state == order_state::shipping);
  CHECK(shipping.stage == stage_id::shipper);
  CHECK(shipping.detail.empty());
  CHECK(last_time == 0ms);
  auto completed = expect_one<order_event>("journal");
  CHECK(completed.order_id == "order-1");
  CHECK(completed.state == order_state::completed);
  CHECK(completed.stage == stage_id::shipper);
  CHECK(completed.detail == "tracking TRK-order-1");
  CHECK(last_time == 0ms);         // Without latency, at once.
  CHECK_FALSE(next_timeout_in());  // No retry pending.
  run_all();
  expect_quiet("errors");
  expect_quiet("journal");
  CHECK(system->attempts() == attempt_log{{"order-1", 1}});
}

TEST_CASE_FIXTURE(shipper_fixture, "a shipment failing twice completes on the third attempt") {
  auto uut = start({{"fragile", 2}}, 50ms);
  self->send(uut, ship_atom::value, make_order("order-2", "fragile"));
  std::vector<std::string> details;
  details.push_back(next_event("order-2", order_state::shipping, 0ms).detail);
  plan("order-2", 2, 0ms, 50ms);
  // Each retry comes exactly `retry-delay` after the failed attempt (fixed backoff).
  nothing_before(50ms);
  details.push_back(next_event("order-2", order_state::shipping, 50ms).detail);
  plan("order-2", 3, 50ms, 50ms);
  nothing_before(100ms);
  details.push_back(next_event("order-2", order_state::shipping, 100ms).detail);
  CHECK(details == std::vector<std::string>{"", "attempt 2", "attempt 3"});
  next_event("order-2", order_state::completed, 100ms);
  run_all();
  expect_quiet("errors");
  expect_quiet("journal");
  CHECK(system->attempts() == attempt_log{{"order-2", 1}, {"order-2", 2}, {"order-2", 3}});
}

TEST_CASE_FIXTURE(shipper_fixture, "a shipment failing beyond max-retries goes to the errors") {
  auto uut = start({{"cursed", 4}}, 10ms);
  self->send(uut, ship_atom::value, make_order("order-3", "cursed"));
  for (int i = 0; i < 4; ++i) {
    if (i > 0)
      nothing_before(i * 10ms);
    CHECK(next_event("order-3", order_state::shipping, i * 10ms).attempt == i + 1);
    if (i < 3)
      plan("order-3", i + 2, i * 10ms, 10ms);
  }
  auto report = expect_one<error_report>("errors");
  CHECK(last_time == 30ms);  // Right after the last attempt failed.
  CHECK(report.order_id == "order-3");
  CHECK(report.stage == stage_id::shipper);
  CHECK(report.type == error_type::shipping);
  CHECK(report.cause.find("failed after 4 attempts") == 0);
  CHECK(report.cause.find("carrier down") != std::string::npos);
  CHECK_FALSE(next_timeout_in());  // No further retry pending.
  run_all();
  expect_quiet("journal");
  expect_quiet("errors");
  CHECK(system->attempts().size() == 4);
}

TEST_CASE_FIXTURE(shipper_fixture, "exponential backoff doubles the retry delay up to its cap") {
  shipper_options options;
  options.max_retries = 3;
  options.retry_delay = 50ms;
  options.backoff = retry_backoff::exponential;
  options.max_retry_delay = 150ms;
  auto uut = start_with(options, {{"cursed", 4}});
  self->send(uut, ship_atom::value, make_order("order-4", "cursed"));
  next_event("order-4", order_state::shipping, 0ms);
  plan("order-4", 2, 0ms, 50ms);
  // Waits of 50 ms, 100 ms, then 150 ms: 200 ms capped at max-retry-delay.
  nothing_before(50ms);
  CHECK(next_event("order-4", order_state::shipping, 50ms).detail == "attempt 2");
  plan("order-4", 3, 50ms, 100ms);
  nothing_before(150ms);
  CHECK(next_event("order-4", order_state::shipping, 150ms).detail == "attempt 3");
  plan("order-4", 4, 150ms, 150ms);
  nothing_before(300ms);
  CHECK(next_event("order-4", order_state::shipping, 300ms).detail == "attempt 4");
  auto report = expect_one<error_report>("errors");
  CHECK(last_time == 300ms);
  CHECK(report.order_id == "order-4");
  CHECK(report.cause.find("failed after 4 attempts") == 0);
  run_all();
  expect_quiet("journal");
  expect_quiet("errors");
  CHECK(system->attempts()
        == attempt_log{{"order-4", 1}, {"order-4", 2}, {"order-4", 3}, {"order-4", 4}});
}

TEST_CASE_FIXTURE(shipper_fixture, "an order waiting for its retry does not block others") {
  auto uut = start({{"fragile", 1}}, 300ms);
  self->send(uut, ship_atom::value, make_order("slow", "fragile"));
  self->send(uut, ship_atom::value, make_order("fast", "mouse"));
  std::vector<std::pair<std::string, order_state>> events;
  std::vector<caf::timespan> times;
  auto next = [&] {
    auto e = expect_one<order_event>("journal");
    events.emplace_back(e.order_id, e.state);
    times.push_back(last_time);
  };
  advance(300ms - 1ns);
  for (int i = 0; i < 4; ++i)
    next();
  expect_quiet("journal");  // The retry of "slow" is not due yet.
  advance(1ns);
  for (int i = 0; i < 2; ++i)
    next();
  using s = order_state;
  CHECK(events
        == std::vector<std::pair<std::string, order_state>>{{"slow", s::shipping},
                                                            {"fast", s::shipping},
                                                            {"slow", s::shipping},
                                                            {"fast", s::completed},
                                                            {"slow", s::shipping},
                                                            {"slow", s::completed}});
  CHECK(times == std::vector<caf::timespan>{0ms, 0ms, 0ms, 0ms, 300ms, 300ms});
}

TEST_CASE_FIXTURE(shipper_fixture, "a shipment waits the shipping system's latency") {
  auto uut = start({}, 10ms, 80ms);
  self->send(uut, ship_atom::value, make_order("a"));
  self->send(uut, ship_atom::value, make_order("b"));
  REQUIRE(expect_one<order_event>("journal").state == order_state::shipping);
  CHECK(last_time == 0ms);
  REQUIRE(expect_one<order_event>("journal").state == order_state::shipping);
  CHECK(last_time == 0ms);
  nothing_before(80ms);
  REQUIRE(expect_one<order_event>("journal").state == order_state::completed);
  CHECK(last_time == 80ms);
  REQUIRE(expect_one<order_event>("journal").state == order_state::completed);
  CHECK(last_time == 80ms);
}

TEST_CASE_FIXTURE(shipper_fixture, "an attempt without an answer times out and is retried") {
  auto uut = start({}, 10ms, std::chrono::hours(1), 50ms);
  self->send(uut, ship_atom::value, make_order("order-hangs"));
  // Each attempt times out after 50 ms, and the next one follows 10 ms later.
  for (int attempt = 1; attempt <= 4; ++attempt) {
    auto at = (attempt - 1) * (50ms + 10ms);
    if (attempt > 1)
      nothing_before(at);
    next_event("order-hangs", order_state::shipping, at);
    if (attempt < 4) {
      nothing_before(at + 50ms);
      plan("order-hangs", attempt + 1, at + 50ms, 10ms);
    }
  }
  nothing_before(4 * 50ms + 3 * 10ms);
  auto report = expect_one<error_report>("errors");
  CHECK(last_time == 4 * 50ms + 3 * 10ms);
  CHECK(report.order_id == "order-hangs");
  CHECK(report.cause == "failed after 4 attempts: no answer within 50 ms");
  run_all();  // An hour later: the answers that never came do not reach the shipping system.
  expect_quiet("journal");
  expect_quiet("errors");
  CHECK(system->attempts().empty());
}

TEST_CASE_FIXTURE(shipper_fixture, "a resumed order goes on with its attempt at its due time") {
  auto uut = start({{"fragile", 2}}, 50ms);
  auto due = ordernode::now() + std::chrono::nanoseconds(40ms).count();
  self->send(uut, resume_atom::value, make_order("order-7", "fragile"), int32_t{3}, due);
  expect_quiet("journal");
  advance(35ms);
  expect_quiet("journal");  // Not before its recorded time.
  advance(10ms);
  CHECK(expect_one<order_event>("journal").detail == "attempt 3");
  CHECK(expect_one<order_event>("journal").state == order_state::completed);
  // Held: a second resume or ship of it does nothing.
  self->send(uut, resume_atom::value, make_order("order-7", "fragile"), int32_t{3}, due);
  self->send(uut, ship_atom::value, make_order("order-7", "fragile"));
  run_all();
  expect_quiet("journal");
  CHECK(system->attempts() == attempt_log{{"order-7", 3}});
}

TEST_CASE_FIXTURE(shipper_fixture, "an order re-sent while held or after shipping ships once") {
  auto uut = start({}, 50ms);
  self->send(uut, ship_atom::value, make_order("order-8"));
  self->send(uut, ship_atom::value, make_order("order-8"));
  CHECK(expect_one<order_event>("journal").state == order_state::shipping);
  CHECK(expect_one<order_event>("journal").state == order_state::completed);
  self->send(uut, ship_atom::value, make_order("order-8"));
  run_all();
  expect_quiet("journal");
  CHECK(system->attempts() == attempt_log{{"order-8", 1}});
}

TEST_CASE_FIXTURE(shipper_fixture, "an order re-sent after the shipper gave up is reported again") {
  auto uut = start({{"cursed", 9}}, 1ms);
  self->send(uut, ship_atom::value, make_order("order-9", "cursed"));
  advance(3ms);  // Attempts at 0, 1, 2 and 3 ms.
  auto first = expect_one<error_report>("errors");
  CHECK(last_time == 3ms);
  CHECK(first.cause.find("failed after 4 attempts") == 0);
  // The first report may have died with the error channel: the supervisor re-sends the order.
  self->send(uut, ship_atom::value, make_order("order-9", "cursed"));
  auto again = expect_one<error_report>("errors");
  CHECK(last_time == 3ms);  // At once, without new attempts.
  CHECK(again.order_id == "order-9");
  CHECK(again.cause == first.cause);
  for (int i = 0; i < 4 + 3; ++i)  // Four attempts, three plans.
    CHECK(expect_one<order_event>("journal").state == order_state::shipping);
  run_all();
  expect_quiet("journal");
  CHECK(system->attempts().size() == 4);
}
