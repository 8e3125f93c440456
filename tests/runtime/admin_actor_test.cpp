#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/admin/admin_actor.hpp"
#include "runtime/admin/admin_format.hpp"
#include "runtime/store/sqlite_store.hpp"
#include "tests/actors/probes.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

source_actor::behavior_type source_probe(source_actor::pointer self, caf::actor sink) {
  return {
    [=](tick_atom) {},
    [=](pause_atom) { forward(self, sink, "source", pause_atom::value); },
    [=](resume_atom) { forward(self, sink, "source", resume_atom::value); },
    [=](rate_atom, int32_t n) { forward(self, sink, "source", rate_atom::value, n); },
  };
}

aggregator_actor::behavior_type aggregator_probe(aggregator_actor::pointer, totals answer) {
  return {
    [=](finished_atom, const std::vector<finished_order>&) {},
    [=](dropped_atom, const std::vector<std::string>&) {},
    [=](totals_atom) { return answer; },
    [=](subscribe_atom, const caf::actor&) {},
    [=](report_atom) {},
  };
}

struct admin_fixture : fixture {
  temp_dir dir;
  std::string journal_path = dir.file("journal.db");
  std::shared_ptr<actor_registry> registry = std::make_shared<actor_registry>();
  order known = make_order("11111111-1111-4111-8111-111111111111", "dock", 7, "us", true);
  admin_commands_actor uut;

  admin_fixture() {
    auto store = open_sqlite_store({journal_path, false, 5000});
    REQUIRE(store);
    journal_batch batch;
    batch.new_orders.push_back(known);
    auto seqs = (*store)->commit(batch);
    REQUIRE(seqs);
    batch.clear();
    batch.changes.push_back(
      {(*seqs)[0], 1, {known.id, order_state::failed, stage_id::processor, "boom", now()}});
    batch.errors.push_back({known.id, stage_id::processor, error_type::processing, "boom", now()});
    REQUIRE((*store)->commit(batch));
    totals t;
    t.all = {4, 40, 1, 2};
    t.by_region["eu"] = {4, 40, 1, 2};
    auto source = spawn(source_probe, sink());
    auto aggregator = spawn(aggregator_probe, t);
    registry->started("source", "source", caf::actor_cast<caf::actor>(source));
    registry->started("aggregator", "aggregator", caf::actor_cast<caf::actor>(aggregator));
    uut = track(spawn_admin(sys, {registry,
                                  source,
                                  aggregator,
                                  journal_location::sqlite_file(journal_path),
                                  {"node-t", false, {}}}));
  }

  admin_reply run(const std::string& line) {
    return ask<admin_reply>(uut, admin_atom::value, line);
  }
};

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("split_words splits at blanks") {
  CHECK(split_words("  orders   completed\t5 ")
        == std::vector<std::string>{"orders", "completed", "5"});
  CHECK(split_words("").empty());
  CHECK(split_words(" \t ").empty());
}

TEST_CASE_FIXTURE(admin_fixture, "an empty line is answered with nothing") {
  auto r = run("");
  CHECK(r.code == admin_reply::ok);
  CHECK(r.text.empty());
}

TEST_CASE_FIXTURE(admin_fixture, "actors and actor NAME show the registry") {
  auto r = run("actors");
  CHECK(r.code == admin_reply::ok);
  CHECK(contains(r.text, "NAME"));
  CHECK(contains(r.text, "source"));
  CHECK(contains(r.text, "aggregator"));
  CHECK(contains(r.text, "2 actors"));
  registry->stopped("source", "injected");
  auto one = run("actor source");
  CHECK(one.code == admin_reply::ok);
  CHECK(contains(one.text, "down"));
  CHECK(contains(one.text, "injected"));
  CHECK(run("actor nobody").code == admin_reply::failed);
  CHECK(run("actor").code == admin_reply::failed);
}

TEST_CASE_FIXTURE(admin_fixture, "stats shows the aggregator's totals") {
  auto r = run("stats");
  REQUIRE(r.code == admin_reply::ok);
  CHECK(contains(r.text, "REGION  COMPLETED  QUANTITY  FAILED  REJECTED"));
  CHECK(contains(r.text, "all     4          40        1       2"));
}

TEST_CASE_FIXTURE(admin_fixture, "source commands reach the source") {
  CHECK(run("source pause").code == admin_reply::ok);
  expect<pause_atom>("source");
  CHECK(run("source resume").code == admin_reply::ok);
  expect<resume_atom>("source");
  CHECK(run("source rate 250").code == admin_reply::ok);
  CHECK(std::get<1>(expect<rate_atom, int32_t>("source")) == 250);
  for (auto bad : {"source rate 0", "source rate -3", "source rate many", "source rate", "source",
                   "source stop", "source rate 1000001"})
    CHECK_MESSAGE(run(bad).code == admin_reply::failed, bad);
  expect_quiet("source", 100ms);
}

TEST_CASE_FIXTURE(admin_fixture, "inject crashes the named actor with a non-normal reason") {
  // With an argument: CAF 0.17 binds a null tuple for none (UBSan reports it).
  auto victim = spawn(
    [](int) -> caf::behavior {
      return {[](int) {
      }};
    },
    0);
  registry->started("victim", "test", victim);
  self->monitor(victim);
  auto r = run("inject victim");
  CHECK(r.code == admin_reply::ok);
  caf::error reason;
  self->receive([&](caf::down_msg& x) { reason = x.reason; },
                caf::after(std::chrono::seconds(2)) >> [] { FAIL("no down message"); });
  CHECK(reason);
  CHECK(reason != caf::exit_reason::user_shutdown);
  CHECK(contains(describe(reason), "crash injected"));
  CHECK(run("inject nobody").code == admin_reply::failed);
}

TEST_CASE_FIXTURE(admin_fixture, "journal queries run on the worker") {
  auto order = run("order " + known.id);
  REQUIRE(order.code == admin_reply::ok);
  CHECK(contains(order.text, "dock"));
  CHECK(contains(order.text, "failed"));
  CHECK(contains(order.text, "history:"));
  CHECK(run("order nope").code == admin_reply::failed);
  auto orders = run("orders failed");
  CHECK(orders.code == admin_reply::ok);
  CHECK(contains(orders.text, known.id));
  CHECK(contains(run("orders completed").text, "0 orders"));
  CHECK(run("orders bogus").code == admin_reply::failed);
  auto errors = run("errors 5");
  CHECK(errors.code == admin_reply::ok);
  CHECK(contains(errors.text, "boom"));
  CHECK(contains(errors.text, "1 errors"));
  CHECK(run("errors 0").code == admin_reply::failed);
  auto report = run("report");
  REQUIRE(report.code == admin_reply::ok);
  CHECK(contains(report.text, "orders: 1"));
  CHECK(report.attachment.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(contains(run("help").text, "inject NAME"));
  CHECK(run("launch").code == admin_reply::failed);
}

TEST_CASE("a missing journal is a clear failure, not a crash") {
  fixture f;
  temp_dir dir;
  auto uut = f.track(spawn_admin(f.sys, {std::make_shared<actor_registry>(),
                                         {},
                                         {},
                                         journal_location::sqlite_file(dir.file("missing.db")),
                                         {}}));
  auto r = f.ask<admin_reply>(uut, admin_atom::value, std::string{"orders"});
  CHECK(r.code == admin_reply::failed);
  CHECK(contains(r.text, "cannot open the journal"));
  auto source = f.ask<admin_reply>(uut, admin_atom::value, std::string{"source pause"});
  CHECK(source.code == admin_reply::failed);
  CHECK(contains(source.text, "source is off"));
}

TEST_CASE("format_uptime and format_table") {
  CHECK(format_uptime(1'500'000'000) == "1.5s");
  CHECK(format_uptime(int64_t{125} * 1'000'000'000) == "2m05s");
  CHECK(format_uptime(int64_t{7380} * 1'000'000'000) == "2h03m");
  CHECK(format_table({{"a", "bb"}, {"ccc", "d"}}) == "a    bb\nccc  d\n");
}
