#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <stdexcept>

#include "actors/processor.hpp"
#include "probes.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

// Takes `delay` per order and refuses every product named "bomb".
class fake_processing : public processing_system {
public:
  explicit fake_processing(caf::timespan delay) : delay_(delay) {}

  caf::timespan latency(const order&) override {
    return delay_;
  }

  std::string process(const order& x) override {
    if (x.product_name == "bomb")
      throw std::runtime_error("refusing to process a bomb");
    return "Order " + x.id + " (" + x.product_name + ") completed";
  }

private:
  caf::timespan delay_;
};

struct processor_fixture : fixture {
  processor_actor start(caf::timespan delay) {
    return spawn(processor, spawn(dispatcher_probe, sink(), "dispatcher"),
                 std::make_shared<fake_processing>(delay),
                 spawn(journal_probe, sink(), journal_script{}), spawn(shipper_probe, sink()),
                 spawn(error_channel_probe, sink()), nullptr, "processor-eu-0");
  }
};

}  // namespace

TEST_CASE_FIXTURE(processor_fixture, "an order is recorded processing, processed, then shipped") {
  auto uut = start(caf::timespan{0});
  auto x = make_order("order-1", "mouse", 2);
  self->send(uut, process_atom::value, x);
  auto processing = expect_one<order_event>("journal");
  CHECK(processing.order_id == x.id);
  CHECK(processing.state == order_state::processing);
  CHECK(processing.stage == stage_id::processor);
  auto processed = expect_one<order_event>("journal");
  CHECK(processed.order_id == x.id);
  CHECK(processed.state == order_state::processed);
  CHECK(processed.detail == "Order order-1 (mouse) completed");
  CHECK(processed.at >= processing.at);
  auto shipped = std::get<1>(expect<ship_atom, order>("shipper"));
  CHECK(shipped.id == x.id);
  CHECK(shipped.quantity == 2);
  CHECK(std::get<1>(expect<done_atom, std::string>("dispatcher")) == x.id);
  expect_quiet("errors", 100ms);
  expect_quiet("journal", 1ms);
}

TEST_CASE_FIXTURE(processor_fixture, "a failing processing system reports the error") {
  auto uut = start(caf::timespan{0});
  self->send(uut, process_atom::value, make_order("order-2", "bomb", 1));
  auto report = expect_one<error_report>("errors");
  CHECK(report.order_id == "order-2");
  CHECK(report.stage == stage_id::processor);
  CHECK(report.type == error_type::processing);
  CHECK(report.cause == "refusing to process a bomb");
  CHECK(std::get<1>(expect<done_atom, std::string>("dispatcher")) == "order-2");
  auto processing = expect_one<order_event>("journal");
  CHECK(processing.state == order_state::processing);
  expect_quiet("journal", 100ms);
  expect_quiet("shipper", 1ms);
  SUBCASE("and keeps working") {
    self->send(uut, process_atom::value, make_order("order-3", "mouse", 1));
    REQUIRE(std::get<1>(expect<ship_atom, order>("shipper")).id == "order-3");
    REQUIRE(std::get<1>(expect<done_atom, std::string>("dispatcher")) == "order-3");
  }
}

TEST_CASE_FIXTURE(processor_fixture, "a VIP order is reported urgent along the way") {
  auto uut = start(caf::timespan{0});
  self->send(uut, process_atom::value, make_order("vip", "laptop", 1, "eu", true));
  REQUIRE(std::get<1>(expect<ship_atom, order>("shipper")).vip);
  CHECK(last_urgent);
  REQUIRE(std::get<1>(expect<done_atom, std::string>("dispatcher")) == "vip");
  CHECK(last_urgent);
}

TEST_CASE_FIXTURE(processor_fixture, "latency is waited with delayed messages, not by blocking") {
  auto uut = start(std::chrono::milliseconds(100));
  auto sent = std::chrono::steady_clock::now();
  self->send(uut, process_atom::value, make_order("slow-1"));
  self->send(uut, process_atom::value, make_order("slow-2"));
  auto first = expect_one<order_event>("journal");
  auto second = expect_one<order_event>("journal");
  CHECK(first.order_id == "slow-1");
  CHECK(first.state == order_state::processing);
  CHECK(second.order_id == "slow-2");
  CHECK(second.state == order_state::processing);
  expect_quiet("shipper", 50ms);
  auto done_1 = expect_one<order_event>("journal");
  auto done_2 = expect_one<order_event>("journal");
  auto finished = std::chrono::steady_clock::now() - sent;
  CHECK(done_1.order_id == "slow-1");
  CHECK(done_1.state == order_state::processed);
  CHECK(done_2.order_id == "slow-2");
  CHECK(done_2.state == order_state::processed);
  CHECK(finished >= std::chrono::milliseconds(100));
  CHECK(done_1.at - first.at >= 100'000'000);
  REQUIRE(std::get<1>(expect<ship_atom, order>("shipper")).id == "slow-1");
  REQUIRE(std::get<1>(expect<ship_atom, order>("shipper")).id == "slow-2");
}

TEST_CASE_FIXTURE(processor_fixture, "a processor counts its work under its own name") {
  auto registry = std::make_shared<actor_registry>();
  auto metrics = std::make_shared<node_metrics>(std::vector<std::string>{"eu"}, registry);
  auto uut = spawn(processor, spawn(dispatcher_probe, sink(), "dispatcher"),
                   std::make_shared<fake_processing>(caf::timespan{0}),
                   spawn(journal_probe, sink(), journal_script{}), spawn(shipper_probe, sink()),
                   spawn(error_channel_probe, sink()), metrics, "processor-eu-1");
  self->send(uut, process_atom::value, make_order("order-7", "mouse", 1));
  expect<ship_atom, order>("shipper");
  std::vector<std::string> names;
  uint64_t handled = 0;
  for (auto& x : registry->snapshot()) {
    if (x.kind == "processor")
      names.push_back(x.name);
    if (x.name == "processor-eu-1")
      handled = x.handled;
  }
  CHECK(names == std::vector<std::string>{"processor-eu-1"});
  CHECK(handled >= 1);
}

TEST_CASE_FIXTURE(processor_fixture, "a processor stops when its dispatcher dies") {
  auto owner = spawn(dispatcher_probe, sink(), "dispatcher");
  auto uut = spawn(processor, owner, std::make_shared<fake_processing>(caf::timespan{0}),
                   spawn(journal_probe, sink(), journal_script{}), spawn(shipper_probe, sink()),
                   spawn(error_channel_probe, sink()), nullptr, "processor-eu-0");
  self->monitor(uut);
  self->send_exit(owner, caf::exit_reason::unhandled_exception);
  bool down = false;
  self->receive([&](caf::down_msg& msg) { down = msg.source == uut.address(); },
                caf::after(std::chrono::seconds(5)) >> [] {});
  CHECK(down);
}
