// Kills a busy ordernode with SIGKILL again and again, then checks that nothing was lost or
// done twice.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <random>

#include "tests/support/journal_view.hpp"
#include "tests/support/node_output.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_database.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

std::vector<std::string> node_args(const temp_dir& dir, const journal_location& where,
                                   bool source_on) {
  auto path = [&](const char* name) {
    return (dir.path() / name).string();
  };
  return {where.engine == journal_engine::sqlite ? "--journal.path=" + where.target
                                                 : "--journal.url=" + where.target,
          "--shipper.ledger=" + path("ledger.txt"),
          "--notifier.mock-file=" + path("notifications.jsonl"),
          source_on ? "--source.enabled=true" : "--source.enabled=false",
          "--source.interval=10ms",
          "--source.burst=10",
          "--source.print=false",
          "--source.invalid-share=0.1",
          "--processor.latency=5ms",
          "--processor.failure-rate=0.05",
          "--shipper.latency=5ms",
          "--shipper.failure-rate=0.3",
          "--shipper.retry-delay=20ms",
          "--node.max-recoveries=100",
          "--aggregator.report-interval=100ms",
          "--log.level=info"};
}

}  // namespace

// Five rounds of SIGKILL at a random moment, then a drain run without the source.
void kill_five_times(const temp_dir& dir, const journal_location& where) {
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pause_ms{300, 1200};
  int64_t accepted_before_last_kill = 0;
  for (int round = 0; round < 5; ++round) {
    node_process node{dir.path(), "run" + std::to_string(round), node_args(dir, where, true)};
    REQUIRE(node.wait_for_log("started", 10s));
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    node.signal(SIGKILL);
    REQUIRE(node.wait(5s) == 128 + SIGKILL);
    journal_view journal{where};
    auto accepted = journal.count("SELECT COUNT(*) FROM orders");
    CHECK(accepted >= accepted_before_last_kill);
    accepted_before_last_kill = accepted;
  }
  REQUIRE(accepted_before_last_kill > 0);
  int64_t unfinished_at_restart = 0;
  {
    journal_view journal{where};
    unfinished_at_restart = journal.count("SELECT COUNT(*) FROM orders WHERE " + unfinished);
  }
  node_process drain{dir.path(), "drain", node_args(dir, where, false)};
  REQUIRE(drain.wait_for_log("started", 10s));
  auto drained = wait_until(
    [&] {
      journal_view journal{where};
      return journal.count("SELECT COUNT(*) FROM orders WHERE " + unfinished) == 0;
    },
    30s);
  REQUIRE(drained);
  std::this_thread::sleep_for(300ms);
  drain.signal(SIGTERM);
  REQUIRE(drain.wait(20s) == 0);
  INFO("unfinished orders when the drain run started: " << unfinished_at_restart);
  CHECK(drain.err().find("recovered " + std::to_string(unfinished_at_restart) + " unfinished")
        != std::string::npos);

  journal_view journal{where};
  auto all = journal.count("SELECT COUNT(*) FROM orders");
  MESSAGE("accepted " << all << " orders over five SIGKILLs; " << unfinished_at_restart
                      << " were unfinished at the last restart");
  CHECK(all == accepted_before_last_kill);
  auto states = journal.state_counts();
  CHECK(states["completed"] + states["failed"] + states["rejected"] == all);
  CHECK(states["completed"] > 0);
  // Exactly one final event per order: final states are never entered twice.
  CHECK(journal.count("SELECT COUNT(*) FROM (SELECT order_seq FROM order_events WHERE state IN "
                      "('completed', 'failed', 'rejected') GROUP BY order_seq HAVING COUNT(*) "
                      "<> 1) a")
        == 0);
  CHECK(journal.count("SELECT COUNT(DISTINCT order_seq) FROM order_events WHERE state IN "
                      "('completed', 'failed', 'rejected')")
        == all);
  // The carrier shipped each completed order once, and nothing else.
  auto shipped = ledger_counts(dir.path() / "ledger.txt");
  for (auto& [id, times] : shipped) {
    INFO("order " << id);
    CHECK(times == 1);
  }
  CHECK(journal.ids("state = 'completed'").size() == shipped.size());
  for (auto& id : journal.ids("state = 'completed'"))
    CHECK(shipped.count(id) == 1);
  // The aggregator's last totals equal the journal's.
  auto err = drain.err();
  auto totals = last_totals(err);
  REQUIRE(totals.has_value());
  CHECK(totals->completed == states["completed"]);
  CHECK(
    totals->quantity
    == journal.count("SELECT COALESCE(SUM(quantity), 0) FROM orders WHERE state = 'completed'"));
  CHECK(totals->failed == states["failed"]);
  CHECK(totals->rejected == states["rejected"]);
}

TEST_CASE("an order accepted before any of five SIGKILLs finishes exactly once") {
  temp_dir dir;
  SUBCASE("with the journal in SQLite") {
    kill_five_times(dir, journal_location::sqlite_file((dir.path() / "journal.db").string()));
  }
  SUBCASE("with the journal in PostgreSQL") {
    pg_database db;
    kill_five_times(dir, journal_location{journal_engine::postgresql, db.url()});
  }
}
