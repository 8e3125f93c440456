#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "actors/intake.hpp"
#include "probes.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

stored_order stored(order x, order_state state) {
  return stored_order{std::move(x), state, 0};
}

std::vector<finished_order> finished(std::vector<std::string> ids) {
  std::vector<finished_order> result;
  for (auto& id : ids)
    result.push_back(finished_order{make_order(id), order_state::completed, "", now()});
  return result;
}

struct intake_fixture : fixture {
  intake_actor start(uint64_t max_in_flight, journal_script script = {},
                     outbox_actor forward_to = {}) {
    auto journal = spawn(journal_probe, sink(), std::move(script));
    flow_entries entries;
    entries.validator = spawn(validator_probe, sink());
    entries.dispatchers = {{"eu", spawn(dispatcher_probe, sink(), "dispatcher-eu")},
                           {"us", spawn(dispatcher_probe, sink(), "dispatcher-us")}};
    entries.shipper = spawn(shipper_probe, sink());
    entries.errors = spawn(error_channel_probe, sink());
    auto result = spawn(intake, journal, entries, max_in_flight, forward_to);
    expect<subscribe_atom>("journal");
    return result;
  }

  // The order the intake asked the journal to record.
  std::string recorded() {
    auto x = take("journal");
    REQUIRE(x.has_value());
    INFO("journal got ", caf::to_string(x->content));
    auto& msg = x->content;
    REQUIRE((msg.match_elements<append_atom, order>() || msg.match_elements<admit_atom, order>()));
    return msg.get_as<order>(1).id;
  }

  uint64_t in_flight(const intake_actor& uut) {
    return ask<uint64_t>(uut, in_flight_atom::value);
  }

  admission submit(const intake_actor& uut, const order& x) {
    return ask<admission>(uut, submit_atom::value, x);
  }
};

}  // namespace

TEST_CASE_FIXTURE(intake_fixture, "an accepted order is recorded, then validated") {
  auto uut = start(10);
  CHECK(in_flight(uut) == 0);
  auto x = make_order("order-1", "mouse", 4, "us", true);
  CHECK(submit(uut, x) == admission::accepted);
  CHECK(recorded() == "order-1");
  auto y = expect_one<order>("validator");
  CHECK(y.id == "order-1");
  CHECK(y.quantity == 4);
  CHECK(y.region == "us");
  CHECK(last_urgent);
  CHECK(in_flight(uut) == 1);
}

TEST_CASE_FIXTURE(intake_fixture, "a duplicate submission is answered duplicate and goes nowhere") {
  auto uut = start(10);
  auto x = make_order("order-2");
  CHECK(submit(uut, x) == admission::accepted);
  REQUIRE(expect_one<order>("validator").id == "order-2");
  CHECK(submit(uut, x) == admission::duplicate);
  CHECK(recorded() == "order-2");
  CHECK(recorded() == "order-2");
  expect_quiet("validator", 100ms);
  CHECK(in_flight(uut) == 1);
}

TEST_CASE_FIXTURE(intake_fixture, "submissions beyond max-in-flight are refused as overloaded") {
  auto uut = start(2);
  CHECK(submit(uut, make_order("a")) == admission::accepted);
  CHECK(submit(uut, make_order("b")) == admission::accepted);
  auto refused = try_ask<admission>(uut, submit_atom::value, make_order("c"));
  REQUIRE_FALSE(static_cast<bool>(refused));
  INFO(describe(refused.error()));
  CHECK(describe(refused.error()).rfind("overloaded", 0) == 0);
  CHECK(recorded() == "a");
  CHECK(recorded() == "b");
  expect_quiet("journal", 50ms);
  CHECK(in_flight(uut) == 2);
  SUBCASE("finished orders free their places") {
    self->send(uut, finished_atom::value, finished({"a"}));
    CHECK(in_flight(uut) == 1);
    CHECK(submit(uut, make_order("c")) == admission::accepted);
    CHECK(in_flight(uut) == 2);
    self->send(uut, finished_atom::value, finished({"b", "c"}));
    CHECK(in_flight(uut) == 0);
  }
  SUBCASE("a batch larger than what is in flight leaves zero") {
    self->send(uut, finished_atom::value, finished({"a", "b", "x", "y"}));
    CHECK(in_flight(uut) == 0);
    CHECK(submit(uut, make_order("d")) == admission::accepted);
  }
}

TEST_CASE_FIXTURE(intake_fixture, "a submission naming a listener is answered with a note") {
  auto uut = start(1);
  auto listener = spawn(admission_probe, sink());
  self->send(uut, submit_atom::value, make_order("n1"), listener);
  auto notes = std::get<1>(expect<admitted_atom, std::vector<admission_note>>("admissions"));
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].order_id == "n1");
  CHECK(notes[0].outcome == admission::accepted);
  CHECK(notes[0].taken());
  REQUIRE(expect_one<order>("validator").id == "n1");
  self->send(uut, submit_atom::value, make_order("n2"), listener);
  notes = std::get<1>(expect<admitted_atom, std::vector<admission_note>>("admissions"));
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].order_id == "n2");
  CHECK(notes[0].refused == refusal::overloaded);
  expect_quiet("validator", 50ms);
  CHECK(in_flight(uut) == 1);
}

TEST_CASE_FIXTURE(intake_fixture, "recover routes every stored order by its state") {
  journal_script script;
  script.unfinished = {
    stored(make_order("r", "mouse", 1, "eu", true), order_state::received),
    stored(make_order("v", "mouse", 1, "eu"), order_state::validated),
    stored(make_order("p", "mouse", 1, "us"), order_state::processing),
    stored(make_order("x", "mouse", 1, "us"), order_state::processed),
    stored(make_order("s", "mouse", 1, "eu"), order_state::shipping),
    stored(make_order("m", "mouse", 1, "mars"), order_state::processing),
    stored(make_order("t", "mouse", 1, "eu"), order_state::shipping),
  };
  script.unfinished.back().attempt = 3;  // Waits for its third attempt.
  script.unfinished.back().due = 77;
  script.live = script.unfinished;
  auto uut = start(10, script);
  CHECK(ask<uint64_t>(uut, recover_atom::value) == 7);
  expect<unfinished_atom>("journal");
  REQUIRE(expect_one<order>("validator").id == "r");
  CHECK(last_urgent);
  REQUIRE(std::get<1>(expect<process_atom, order>("dispatcher-eu")).id == "v");
  REQUIRE(std::get<1>(expect<process_atom, order>("dispatcher-us")).id == "p");
  REQUIRE(std::get<1>(expect<ship_atom, order>("shipper")).id == "x");
  REQUIRE(std::get<1>(expect<ship_atom, order>("shipper")).id == "s");
  auto resumed = expect<resume_atom, order, int32_t, timestamp>("shipper");
  CHECK(std::get<1>(resumed).id == "t");
  CHECK(std::get<2>(resumed) == 3);
  CHECK(std::get<3>(resumed) == 77);
  auto report = expect_one<error_report>("errors");
  CHECK(report.order_id == "m");
  CHECK(report.stage == stage_id::intake);
  CHECK(report.cause == "region 'mars' is no longer configured");
  expect_quiet("validator", 50ms);
  expect_quiet("dispatcher-eu", 1ms);
  expect_quiet("dispatcher-us", 1ms);
  expect_quiet("shipper", 1ms);
  CHECK(in_flight(uut) == 7);
  self->send(uut, finished_atom::value, finished({"r", "v", "p", "x", "s", "m", "t"}));
  CHECK(in_flight(uut) == 0);
}

TEST_CASE_FIXTURE(intake_fixture, "recover with nothing stored answers zero") {
  auto uut = start(10);
  CHECK(ask<uint64_t>(uut, recover_atom::value) == 0);
  expect_quiet("validator", 50ms);
  CHECK(in_flight(uut) == 0);
}

TEST_CASE_FIXTURE(intake_fixture, "redrive re-sends the live orders in the given states") {
  journal_script script;
  script.live = {
    stored(make_order("v1", "mouse", 1, "eu"), order_state::validated),
    stored(make_order("p1", "mouse", 1, "eu"), order_state::processing),
    stored(make_order("v2", "mouse", 1, "us"), order_state::validated),
    stored(make_order("s1", "mouse", 1, "eu"), order_state::shipping),
  };
  auto uut = start(10, script);
  CHECK(in_flight(uut) == 4);
  self->send(uut, redrive_atom::value,
             std::vector<order_state>{order_state::validated, order_state::processing},
             std::string{"eu"});
  expect<live_atom, std::vector<order_state>, std::string>("journal");
  CHECK(std::get<1>(expect<process_atom, order>("dispatcher-eu")).id == "v1");
  CHECK(std::get<1>(expect<process_atom, order>("dispatcher-eu")).id == "p1");
  expect_quiet("dispatcher-us", 50ms);
  expect_quiet("shipper", 1ms);
  CHECK(in_flight(uut) == 4);
}

TEST_CASE_FIXTURE(intake_fixture, "with an outbox, orders of served regions go to the broker") {
  auto uut = start(10, {}, spawn(outbox_probe, sink()));
  CHECK(submit(uut, make_order("fwd-1", "mouse", 1, "eu")) == admission::forwarded);
  auto [atom, x] = expect<forward_atom, order>("outbox");
  CHECK(x.id == "fwd-1");
  expect_quiet("validator", 100ms);
  expect_quiet("journal", 10ms);
  CHECK(in_flight(uut) == 0);
  // A region no dispatcher serves stays here, so that the validator rejects it with its reason.
  CHECK(submit(uut, make_order("lost-1", "mouse", 1, "atlantis")) == admission::accepted);
  CHECK(recorded() == "lost-1");
  CHECK(expect_one<order>("validator").id == "lost-1");
  expect_quiet("outbox", 10ms);
}

TEST_CASE_FIXTURE(intake_fixture, "an order taken from the broker always enters the local flow") {
  auto uut = start(10, {}, spawn(outbox_probe, sink()));
  auto listener = spawn(admission_probe, sink());
  caf::send_as(listener, uut, take_atom::value, make_order("taken-1"),
               caf::actor_cast<admission_listener>(listener));
  CHECK(recorded() == "taken-1");
  auto notes = std::get<1>(expect<admitted_atom, std::vector<admission_note>>("admissions"));
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].outcome == admission::accepted);
  CHECK(expect_one<order>("validator").id == "taken-1");
  expect_quiet("outbox", 50ms);
  CHECK(in_flight(uut) == 1);
}
