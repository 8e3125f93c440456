#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <map>
#include <mutex>

#include "actors/shipper.hpp"
#include "probes.hpp"

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

struct shipper_fixture : fixture {
  shipper_actor start(std::map<std::string, int32_t> failures, caf::timespan retry_delay,
                      caf::timespan delay = caf::timespan{0},
                      caf::timespan attempt_timeout = std::chrono::seconds(30)) {
    shipper_options options;
    options.max_retries = 3;
    options.attempt_timeout = attempt_timeout;
    options.retry_delay = retry_delay;
    system = std::make_shared<fake_shipping>(std::move(failures), delay);
    return spawn(shipper, options, system, spawn(journal_probe, sink(), journal_script{}),
                 spawn(error_channel_probe, sink()), nullptr);
  }

  std::shared_ptr<fake_shipping> system;
};

using attempt_log = std::vector<std::pair<std::string, int32_t>>;

}  // namespace

TEST_CASE_FIXTURE(shipper_fixture, "a successful shipment records shipping then completed") {
  auto uut = start({}, std::chrono::milliseconds(50));
  self->send(uut, ship_atom::value, make_order("order-1"));
  auto shipping = expect_one<order_event>("journal");
  CHECK(shipping.order_id == "order-1");
  CHECK(shipping.state == order_state::shipping);
  CHECK(shipping.stage == stage_id::shipper);
  CHECK(shipping.detail.empty());
  auto completed = expect_one<order_event>("journal");
  CHECK(completed.order_id == "order-1");
  CHECK(completed.state == order_state::completed);
  CHECK(completed.stage == stage_id::shipper);
  CHECK(completed.detail == "tracking TRK-order-1");
  expect_quiet("errors", 100ms);
  expect_quiet("journal", 1ms);
  CHECK(system->attempts() == attempt_log{{"order-1", 1}});
}

TEST_CASE_FIXTURE(shipper_fixture, "a shipment failing twice completes on the third attempt") {
  auto uut = start({{"fragile", 2}}, std::chrono::milliseconds(50));
  auto sent = std::chrono::steady_clock::now();
  self->send(uut, ship_atom::value, make_order("order-2", "fragile"));
  std::vector<std::string> details;
  for (int i = 0; i < 3; ++i) {
    auto e = expect_one<order_event>("journal");
    CHECK(e.order_id == "order-2");
    CHECK(e.state == order_state::shipping);
    details.push_back(e.detail);
  }
  CHECK(details == std::vector<std::string>{"", "attempt 2", "attempt 3"});
  auto completed = expect_one<order_event>("journal");
  CHECK(completed.state == order_state::completed);
  CHECK(std::chrono::steady_clock::now() - sent >= std::chrono::milliseconds(100));
  expect_quiet("errors", 100ms);
  expect_quiet("journal", 1ms);
  CHECK(system->attempts() == attempt_log{{"order-2", 1}, {"order-2", 2}, {"order-2", 3}});
}

TEST_CASE_FIXTURE(shipper_fixture, "a shipment failing beyond max-retries goes to the errors") {
  auto uut = start({{"cursed", 4}}, std::chrono::milliseconds(10));
  self->send(uut, ship_atom::value, make_order("order-3", "cursed"));
  for (int i = 0; i < 4; ++i) {
    auto e = expect_one<order_event>("journal");
    CHECK(e.order_id == "order-3");
    CHECK(e.state == order_state::shipping);
  }
  auto report = expect_one<error_report>("errors");
  CHECK(report.order_id == "order-3");
  CHECK(report.stage == stage_id::shipper);
  CHECK(report.type == error_type::shipping);
  CHECK(report.cause.find("failed after 4 attempts") == 0);
  CHECK(report.cause.find("carrier down") != std::string::npos);
  expect_quiet("journal", 100ms);
  expect_quiet("errors", 1ms);
  CHECK(system->attempts().size() == 4);
}

TEST_CASE_FIXTURE(shipper_fixture, "an order waiting for its retry does not block others") {
  auto uut = start({{"fragile", 1}}, std::chrono::milliseconds(300));
  auto sent = std::chrono::steady_clock::now();
  self->send(uut, ship_atom::value, make_order("slow", "fragile"));
  self->send(uut, ship_atom::value, make_order("fast", "mouse"));
  std::vector<std::pair<std::string, order_state>> events;
  for (int i = 0; i < 5; ++i) {
    auto e = expect_one<order_event>("journal");
    events.emplace_back(e.order_id, e.state);
  }
  using s = order_state;
  CHECK(events
        == std::vector<std::pair<std::string, order_state>>{{"slow", s::shipping},
                                                            {"fast", s::shipping},
                                                            {"fast", s::completed},
                                                            {"slow", s::shipping},
                                                            {"slow", s::completed}});
  CHECK(std::chrono::steady_clock::now() - sent >= std::chrono::milliseconds(300));
}

TEST_CASE_FIXTURE(shipper_fixture, "a shipment waits the shipping system's latency") {
  auto uut = start({}, std::chrono::milliseconds(10), std::chrono::milliseconds(80));
  auto sent = std::chrono::steady_clock::now();
  self->send(uut, ship_atom::value, make_order("a"));
  self->send(uut, ship_atom::value, make_order("b"));
  REQUIRE(expect_one<order_event>("journal").state == order_state::shipping);
  REQUIRE(expect_one<order_event>("journal").state == order_state::shipping);
  REQUIRE(expect_one<order_event>("journal").state == order_state::completed);
  CHECK(std::chrono::steady_clock::now() - sent >= std::chrono::milliseconds(80));
  REQUIRE(expect_one<order_event>("journal").state == order_state::completed);
}

TEST_CASE_FIXTURE(shipper_fixture, "an attempt without an answer times out and is retried") {
  auto uut =
    start({}, std::chrono::milliseconds(10), std::chrono::hours(1), std::chrono::milliseconds(50));
  auto started = std::chrono::steady_clock::now();
  self->send(uut, ship_atom::value, make_order("order-hangs"));
  for (int attempt = 1; attempt <= 4; ++attempt) {
    auto shipping = expect_one<order_event>("journal");
    CHECK(shipping.state == order_state::shipping);
  }
  auto report = expect_one<error_report>("errors");
  CHECK(report.order_id == "order-hangs");
  CHECK(report.cause == "failed after 4 attempts: no answer within 50 ms");
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(4 * 50 + 3 * 10));
  CHECK(system->attempts().empty());
}

TEST_CASE_FIXTURE(shipper_fixture, "an order re-sent while held or after shipping ships once") {
  auto uut = start({}, std::chrono::milliseconds(50));
  self->send(uut, ship_atom::value, make_order("order-8"));
  self->send(uut, ship_atom::value, make_order("order-8"));
  CHECK(expect_one<order_event>("journal").state == order_state::shipping);
  CHECK(expect_one<order_event>("journal").state == order_state::completed);
  self->send(uut, ship_atom::value, make_order("order-8"));
  expect_quiet("journal", 150ms);
  CHECK(system->attempts() == attempt_log{{"order-8", 1}});
}

TEST_CASE_FIXTURE(shipper_fixture, "an order re-sent after the shipper gave up is reported again") {
  auto uut = start({{"cursed", 9}}, std::chrono::milliseconds(1));
  self->send(uut, ship_atom::value, make_order("order-9", "cursed"));
  auto first = expect_one<error_report>("errors");
  CHECK(first.cause.find("failed after 4 attempts") == 0);
  // The first report may have died with the error channel: the supervisor re-sends the order.
  self->send(uut, ship_atom::value, make_order("order-9", "cursed"));
  auto again = expect_one<error_report>("errors");
  CHECK(again.order_id == "order-9");
  CHECK(again.cause == first.cause);
  for (int i = 0; i < 4; ++i)
    CHECK(expect_one<order_event>("journal").state == order_state::shipping);
  expect_quiet("journal", 100ms);
  CHECK(system->attempts().size() == 4);
}
