// Crashes stages of a busy ordernode and checks that the supervisor restarts them and that
// every order still finishes exactly once.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "tests/support/journal_view.hpp"
#include "tests/support/node_output.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

using namespace ordernode::test;

namespace {

std::vector<std::string> node_args(const temp_dir& dir, std::vector<std::string> extra) {
  auto path = [&](const char* name) {
    return (dir.path() / name).string();
  };
  std::vector<std::string> result{"--journal.path=" + path("journal.db"),
                                  "--shipper.ledger=" + path("ledger.txt"),
                                  "--notifier.mock-file=" + path("notifications.jsonl"),
                                  "--source.interval=10ms",
                                  "--source.burst=5",
                                  "--source.print=false",
                                  "--source.invalid-share=0.1",
                                  "--processor.latency=30ms",
                                  "--processor.failure-rate=0.02",
                                  "--shipper.latency=150ms",
                                  "--shipper.failure-rate=0.2",
                                  "--shipper.retry-delay=50ms",
                                  "--supervisor.backoff=100ms",
                                  "--aggregator.report-interval=100ms",
                                  "--node.shutdown-deadline=30s",
                                  "--log.level=info"};
  result.insert(result.end(), extra.begin(), extra.end());
  return result;
}

}  // namespace

TEST_CASE("orders in flight while stages crash finish exactly once") {
  temp_dir dir;
  node_process node{dir.path(), "node",
                    node_args(dir, {"--supervisor.max-restarts=10",
                                    "--supervisor.inject-crash=[\"shipper@1500ms\", "
                                    "\"dispatcher-eu@2000ms\", \"validator@2500ms\", "
                                    "\"error_channel@3000ms\", \"intake@3500ms\", "
                                    "\"aggregator@4000ms\"]"})};
  REQUIRE(node.wait_for_log("started", 10s));
  REQUIRE(node.wait_for_log("aggregator restarted", 15s));
  std::this_thread::sleep_for(1s);
  node.signal(SIGTERM);
  REQUIRE(node.wait(40s) == 0);
  auto err = node.err();
  for (auto name :
       {"shipper", "dispatcher-eu", "validator", "error_channel", "intake", "aggregator"}) {
    INFO("stage " << name);
    CHECK(err.find("supervisor: "s + name + " died") != std::string::npos);
    CHECK(err.find("supervisor: "s + name + " restarted") != std::string::npos);
  }
  // The shipper and the dispatcher held orders when they died; they were re-sent.
  CHECK(err.find("after a stage restart") != std::string::npos);
  CHECK(err.find("still in flight at shutdown") == std::string::npos);

  journal_view journal{dir.path() / "journal.db"};
  auto all = journal.count("SELECT COUNT(*) FROM orders");
  REQUIRE(all > 100);
  CHECK(journal.count("SELECT COUNT(*) FROM orders WHERE " + unfinished) == 0);
  auto states = journal.state_counts();
  CHECK(states["completed"] + states["failed"] + states["rejected"] == all);
  CHECK(journal.count("SELECT COUNT(*) FROM (SELECT order_seq FROM order_events WHERE state IN "
                      "('completed', 'failed', 'rejected') GROUP BY order_seq HAVING COUNT(*) "
                      "<> 1)")
        == 0);
  // Every restart is recorded in the errors table.
  CHECK(journal.count("SELECT COUNT(*) FROM errors WHERE stage = 'supervisor' AND type = "
                      "'restart'")
        == 6);
  auto shipped = ledger_counts(dir.path() / "ledger.txt");
  for (auto& [id, times] : shipped) {
    INFO("order " << id);
    CHECK(times == 1);
  }
  CHECK(journal.ids("state = 'completed'").size() == shipped.size());
  // The restarted aggregator's totals equal the journal's.
  auto totals = last_totals(err);
  REQUIRE(totals.has_value());
  CHECK(totals->completed == states["completed"]);
  CHECK(totals->failed == states["failed"]);
  CHECK(totals->rejected == states["rejected"]);
  MESSAGE(all << " orders through six stage crashes: " << states["completed"] << " completed, "
              << states["failed"] << " failed, " << states["rejected"] << " rejected");
}

TEST_CASE("a stage crashing faster than the intensity limit stops the node gracefully") {
  temp_dir dir;
  {
    node_process node{
      dir.path(), "node",
      node_args(dir, {"--supervisor.max-restarts=1", "--supervisor.restart-window=30s",
                      "--supervisor.inject-crash=[\"shipper@800ms\", "
                      "\"shipper@1600ms\"]"})};
    REQUIRE(node.wait_for_log("started", 10s));
    auto code = node.wait(40s);
    REQUIRE(code.has_value());
    CHECK(*code == 1);
    auto err = node.err();
    CHECK(err.find("supervisor gives up: shipper died") != std::string::npos);
    CHECK(err.find("after 1 restarts within 30000 ms") != std::string::npos);
    INFO(err.substr(err.find("supervisor")));
    CHECK(count_of(err, "supervisor: shipper restarted (") == 1);
  }
  journal_view journal{dir.path() / "journal.db"};
  CHECK(journal.count("SELECT COUNT(*) FROM errors WHERE type = 'escalation'") == 1);
  // The next start picks up whatever the stopped node left unfinished.
  node_process again{dir.path(), "again", node_args(dir, {"--source.enabled=false"})};
  REQUIRE(again.wait_for_log("started", 10s));
  REQUIRE(wait_until(
    [&] {
      journal_view j{dir.path() / "journal.db"};
      return j.count("SELECT COUNT(*) FROM orders WHERE " + unfinished) == 0;
    },
    30s));
  again.signal(SIGTERM);
  CHECK(again.wait(20s) == 0);
}
