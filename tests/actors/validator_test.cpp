#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "actors/validator.hpp"
#include "probes.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

struct validator_fixture : fixture {
  validator_fixture() {
    rules.min_quantity = 0;
    rules.max_quantity = 100;
    rules.max_name_length = 12;
    dispatcher_refs regions{
      {"eu", spawn(dispatcher_probe, sink(), "dispatcher-eu")},
      {"us", spawn(dispatcher_probe, sink(), "dispatcher-us")},
    };
    uut = spawn(validator, rules, regions, spawn(journal_probe, sink(), journal_script{}),
                spawn(error_channel_probe, sink()), nullptr);
  }

  // Sends a valid order and checks that it is the next one to reach the journal and the
  // dispatcher: nothing sent before it got through.
  void expect_only_marker_passes() {
    auto marker = make_order("marker-order");
    self->send(uut, marker);
    REQUIRE(expect_one<order_event>("journal").order_id == marker.id);
    REQUIRE(std::get<1>(expect<process_atom, order>("dispatcher-eu")).id == marker.id);
    expect_quiet("dispatcher-us", 50ms);
    expect_quiet("errors", 50ms);
  }

  order_rules rules;
  validator_actor uut;
};

}  // namespace

TEST_CASE_FIXTURE(validator_fixture, "a valid order is recorded as validated and dispatched") {
  auto x = make_order("order-1", "keyboard", 3, "eu");
  self->send(uut, x);
  auto e = expect_one<order_event>("journal");
  CHECK(e.order_id == x.id);
  CHECK(e.state == order_state::validated);
  CHECK(e.stage == stage_id::validator);
  CHECK(e.at > 0);
  auto y = std::get<1>(expect<process_atom, order>("dispatcher-eu"));
  CHECK(y.id == x.id);
  CHECK(y.product_name == "keyboard");
  CHECK(y.quantity == 3);
  CHECK_FALSE(last_urgent);
  expect_quiet("errors", 100ms);
  expect_quiet("dispatcher-us", 1ms);
}

TEST_CASE_FIXTURE(validator_fixture, "orders go to the dispatcher of their region") {
  self->send(uut, make_order("us-order", "mouse", 1, "us"));
  self->send(uut, make_order("eu-order", "mouse", 1, "eu"));
  REQUIRE(std::get<1>(expect<process_atom, order>("dispatcher-us")).id == "us-order");
  REQUIRE(std::get<1>(expect<process_atom, order>("dispatcher-eu")).id == "eu-order");
}

TEST_CASE_FIXTURE(validator_fixture, "boundary values are valid") {
  self->send(uut, make_order("zero", "cable", 0));
  self->send(uut, make_order("max", "cable", 100));
  self->send(uut, make_order("long-name", std::string(12, 'n'), 5));
  for (auto id : {"zero", "max", "long-name"})
    REQUIRE(std::get<1>(expect<process_atom, order>("dispatcher-eu")).id == id);
  expect_quiet("errors", 50ms);
}

TEST_CASE_FIXTURE(validator_fixture, "a VIP order travels urgent") {
  self->send(uut, make_order("vip-order", "laptop", 1, "eu", true));
  REQUIRE(expect_one<order_event>("journal").order_id == "vip-order");
  CHECK(last_urgent);
  REQUIRE(std::get<1>(expect<process_atom, order>("dispatcher-eu")).vip);
  CHECK(last_urgent);
}

TEST_CASE_FIXTURE(validator_fixture, "invalid orders go to the error channel with their cause") {
  struct invalid_case {
    order item;
    std::string cause;
  };
  std::vector<invalid_case> cases{
    {make_order("empty-name", ""), "product name is empty"},
    {make_order("blank-name", " \t  "), "product name is empty"},
    {make_order("negative", "mouse", -4), "quantity -4 is below 0"},
    {make_order("too-many", "mouse", 101), "quantity 101 is above 100"},
    {make_order("long-name", std::string(13, 'x')), "product name is longer than 12 bytes"},
    {make_order("nowhere", "mouse", 1, "atlantis"), "unknown region 'atlantis'"},
    {make_order("", "mouse"), "order id is empty"},
  };
  for (auto& c : cases)
    self->send(uut, c.item);
  for (auto& c : cases) {
    CAPTURE(c.item.id);
    auto r = expect_one<error_report>("errors");
    CHECK(r.order_id == c.item.id);
    CHECK(r.stage == stage_id::validator);
    CHECK(r.type == error_type::validation);
    CHECK(r.cause == c.cause);
    CHECK(r.at > 0);
  }
  expect_only_marker_passes();
}

TEST_CASE_FIXTURE(validator_fixture, "a VIP invalid order is reported urgent") {
  self->send(uut, make_order("vip-bad", "", 1, "eu", true));
  REQUIRE(expect_one<error_report>("errors").order_id == "vip-bad");
  CHECK(last_urgent);
  expect_only_marker_passes();
}

TEST_CASE("check_order applies the configured minimum quantity") {
  order_rules rules;
  rules.min_quantity = 5;
  std::map<std::string, dispatcher_actor> regions{{"eu", dispatcher_actor{}}};
  auto low = check_order(make_order("a", "mouse", 4), rules, regions);
  REQUIRE(low);
  CHECK(low->field == order_field::quantity);
  CHECK(low->message == "quantity 4 is below 5");
  CHECK_FALSE(check_order(make_order("a", "mouse", 5), rules, regions).has_value());
}

TEST_CASE("check_order: quantity 0 is valid by default, a customer only when required") {
  order_rules rules;
  std::map<std::string, dispatcher_actor> regions{{"eu", dispatcher_actor{}}};
  auto x = make_order("a", "mouse", 0);
  x.customer = " ";
  CHECK_FALSE(check_order(x, rules, regions));
  rules.require_customer = true;
  auto missing = check_order(x, rules, regions);
  REQUIRE(missing);
  CHECK(missing->field == order_field::customer);
  CHECK(field_name(missing->field) == "customer");
}
