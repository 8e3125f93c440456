// The node on a PostgreSQL journal: the API round trip, and the server crashing and coming back
// in the middle of a stream of orders.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "tests/support/http_node.hpp"
#include "tests/support/journal_view.hpp"
#include "tests/support/node_output.hpp"
#include "tests/support/pg_database.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

journal_location on(const pg_database& db) {
  return {journal_engine::postgresql, db.url()};
}

// Stops or starts the test's PostgreSQL server with tools/services.sh.
void postgres(const std::string& what) {
  auto script = env_or_fail("ORDERNODE_SOURCE_DIR") + "/tools/services.sh";
  auto dir = env_or_fail("ORDERNODE_TEST_POSTGRES_DIR");
  REQUIRE(std::system((script + " " + what + " " + dir + " >/dev/null").c_str()) == 0);
}

}  // namespace

TEST_CASE("orders posted to a node on PostgreSQL are read back from it") {
  temp_dir dir;
  pg_database db;
  http_node node{dir.path(), "pg", dir.path() / "unused.db", {"--journal.url=" + db.url()}};
  http_client c{node.port};
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = c.post_json(order_body("lamp", i + 1, i % 2 == 0 ? "eu" : "us", i == 3));
    REQUIRE(r.status == 202);
    ids.push_back(r.json().value("id", ""));
  }
  for (auto& id : ids) {
    auto x = wait_final(c, id);
    CHECK(x.value("status", "") == "completed");
    CHECK(x["history"].size() >= 5);
  }
  auto page = c.get("/api/orders?limit=10").json();
  REQUIRE(page["orders"].size() == 5);
  CHECK(page["orders"][0].value("id", "") == ids[0]);
  CHECK(c.get("/api/orders/" + ids[0]).json().value("productName", "") == "lamp");
  auto report = c.get("/api/report");
  CHECK(report.status == 200);
  CHECK(report.body.find("lamp") != std::string::npos);
  CHECK(node.stop() == 0);
  journal_view journal{on(db)};
  CHECK(journal.orders("state = 'completed'") == 5);
  CHECK(node.process->err().find("started: journal postgresql://") != std::string::npos);
}

TEST_CASE("a node whose URL names no database, or a user the server refuses, exits 2") {
  temp_dir dir;
  auto base = postgres_url();
  SUBCASE("a missing database") {
    auto r = run_to_exit(
      dir.path(), {"--journal.url=" + base.substr(0, base.rfind('/') + 1) + "no_such_database"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("no_such_database") != std::string::npos);
  }
  SUBCASE("a refused login") {
    auto r =
      run_to_exit(dir.path(), {"--journal.url=postgresql://nobody" + base.substr(base.find('@'))});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("nobody") != std::string::npos);
  }
  SUBCASE("not a URL") {
    auto r = run_to_exit(dir.path(), {"--journal.url=mysql://x/y"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("journal.url") != std::string::npos);
  }
}

TEST_CASE("PostgreSQL crashing and coming back mid-stream loses and doubles nothing") {
  temp_dir dir;
  pg_database db;
  auto ledger = dir.path() / "ledger.txt";
  http_node node{dir.path(),
                 "pg",
                 dir.path() / "unused.db",
                 {"--journal.url=" + db.url(), "--shipper.ledger=" + ledger.string()}};
  std::set<std::string> accepted;
  std::atomic<int> refused{0};
  std::atomic<bool> refusals_said_why{true};
  std::atomic<bool> posting{true};
  std::thread poster{[&] {
    http_client c{node.port};
    for (int i = 0; posting; ++i) {
      auto r = c.post_json(order_body("crate", 1 + i % 5, i % 2 == 0 ? "eu" : "us"));
      if (r.status == 202) {
        accepted.insert(r.json().value("id", ""));
      } else {
        ++refused;
        if (r.status != 503 || r.header("Retry-After").empty())
          refusals_said_why = false;
      }
      std::this_thread::sleep_for(5ms);
    }
  }};
  http_client c{node.port};
  std::this_thread::sleep_for(1s);
  postgres("crash-postgres");
  CHECK(wait_until([&] { return refused > 0; }, 10s));
  auto ready = c.get("/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.json().value("reason", "").find("journal") != std::string::npos);
  std::this_thread::sleep_for(1s);
  postgres("restart-postgres");
  std::this_thread::sleep_for(2s);
  posting = false;
  poster.join();
  MESSAGE("accepted " << accepted.size() << ", refused " << refused.load());
  CHECK(refused > 0);
  CHECK(refusals_said_why);
  CHECK(wait_until([&] { return c.get("/readyz").status == 200; }, 10s));
  CHECK(accepted.size() > 100);
  journal_view journal{on(db)};
  CHECK(wait_until([&] { return journal.orders(unfinished) == 0; }, 30s));
  // Every 202 is in the journal once and finished once; nothing refused is.
  CHECK(journal.ids() == accepted);
  CHECK(journal.count("SELECT COUNT(*) FROM (SELECT order_seq FROM order_events WHERE state IN "
                      "('completed', 'failed', 'rejected') GROUP BY order_seq "
                      "HAVING COUNT(*) <> 1) a")
        == 0);
  CHECK(journal.orders("state = 'completed'") == static_cast<int64_t>(accepted.size()));
  auto shipped = ledger_counts(ledger);
  CHECK(shipped.size() == accepted.size());
  for (auto& [id, times] : shipped) {
    INFO("order " << id);
    CHECK(times == 1);
  }
  CHECK(node.stop() == 0);
}
