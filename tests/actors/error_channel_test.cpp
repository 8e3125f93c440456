#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "actors/error_channel.hpp"
#include "probes.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

struct error_channel_fixture : fixture {
  error_channel_fixture() {
    uut = spawn(error_channel, spawn(journal_probe, sink(), journal_script{}), notifier_actor{});
  }

  error_channel_actor uut;
};

}  // namespace

TEST_CASE_FIXTURE(error_channel_fixture, "a validator report rejects the order") {
  self->send(uut, error_report{"order-1", stage_id::validator, error_type::validation,
                               "product name is empty", 42});
  auto e = expect_one<order_event>("journal");
  CHECK(e.order_id == "order-1");
  CHECK(e.state == order_state::rejected);
  CHECK(e.stage == stage_id::validator);
  CHECK(e.detail == "validation: product name is empty");
  CHECK(e.at == 42);
  auto r = expect_one<error_report>("journal");
  CHECK(r.order_id == "order-1");
  CHECK(r.stage == stage_id::validator);
  CHECK(r.type == error_type::validation);
  CHECK(r.cause == "product name is empty");
  CHECK(r.at == 42);
  expect_quiet("journal", 50ms);
}

TEST_CASE_FIXTURE(error_channel_fixture, "reports of the other stages fail the order") {
  for (auto stage : {stage_id::processor, stage_id::shipper, stage_id::intake}) {
    CAPTURE(to_string(stage));
    self->send(uut, error_report{"order-2", stage, error_type::processing, "it broke", 7});
    auto e = expect_one<order_event>("journal");
    CHECK(e.order_id == "order-2");
    CHECK(e.state == order_state::failed);
    CHECK(e.stage == stage);
    CHECK(e.detail == "processing: it broke");
    auto r = expect_one<error_report>("journal");
    CHECK(r.stage == stage);
    CHECK(r.cause == "it broke");
  }
}

TEST_CASE_FIXTURE(error_channel_fixture, "a report about no order is only recorded") {
  auto before = now();
  self->send(uut, error_report{"", stage_id::journal, error_type::storage, "disk full", 0});
  auto r = expect_one<error_report>("journal");
  CHECK(r.order_id.empty());
  CHECK(r.stage == stage_id::journal);
  CHECK(r.cause == "disk full");
  CHECK(r.at >= before);
  CHECK(r.at <= now());
  self->send(uut, error_report{"order-3", stage_id::processor, error_type::processing, "x", 0});
  auto e = expect_one<order_event>("journal");
  CHECK(e.order_id == "order-3");
  CHECK(e.at > 0);
  REQUIRE(expect_one<error_report>("journal").order_id == "order-3");
}

TEST_CASE_FIXTURE(error_channel_fixture, "a dead_letter report dead-letters the order") {
  self->send(uut, error_report{"order-4", stage_id::intake, error_type::dead_letter,
                               "recovered 5 times", 9});
  auto e = expect_one<order_event>("journal");
  CHECK(e.order_id == "order-4");
  CHECK(e.state == order_state::dead_letter);
  CHECK(e.detail == "dead_letter: recovered 5 times");
  REQUIRE(expect_one<error_report>("journal").type == error_type::dead_letter);
}
