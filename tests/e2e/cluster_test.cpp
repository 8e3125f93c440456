// Several nodes on one PostgreSQL journal: a node killed or paused mid-flight loses nothing, and
// no order is finished or shipped twice.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>

#include "tests/support/http_node.hpp"
#include "tests/support/journal_view.hpp"
#include "tests/support/node_output.hpp"
#include "tests/support/pg_database.hpp"
#include "tests/support/shell_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

const std::string admin_token = "cluster-secret";

// A member of the test's cluster: quick externals but a slow carrier, so that orders are in
// flight when a node dies; every node shares one ledger.
struct member {
  member(const fs::path& dir, const pg_database& db, const std::string& id,
         std::vector<std::string> extra = {})
      : admin_port(free_port()),
        node(dir, id, dir / "unused.db", args_of(dir, db, id, admin_port, std::move(extra))),
        api(node.port) {}

  static std::vector<std::string> args_of(const fs::path& dir, const pg_database& db,
                                          const std::string& id, int admin_port,
                                          std::vector<std::string> extra) {
    std::vector<std::string> result{"--journal.url=" + db.url(),
                                    "--node.id=" + id,
                                    "--admin.port=" + std::to_string(admin_port),
                                    "--admin.token=" + admin_token,
                                    "--shipper.ledger=" + (dir / "ledger").string(),
                                    "--shipper.latency=400ms",
                                    "--cluster.heartbeat=200ms",
                                    "--cluster.lease=2s"};
    result.insert(result.end(), extra.begin(), extra.end());
    return result;
  }

  // Posts `n` orders, every fifth a VIP; their ids.
  std::vector<std::string> post(int n, const std::string& product) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto r = api.post_json(order_body(product, 1 + i % 3, i % 2 == 0 ? "eu" : "us", i % 5 == 0));
      REQUIRE(r.status == 202);
      ids.push_back(r.json().value("id", ""));
    }
    return ids;
  }

  int admin_port;
  http_node node;
  http_client api;
};

// Waits until none of the journal's orders is unfinished.
void wait_all_final(journal_view& journal, std::chrono::milliseconds timeout) {
  wait_until([&] { return journal.orders(unfinished) == 0; }, timeout);
  CHECK(journal.orders(unfinished) == 0);
}

// Every order final exactly once: one final event each, and each completed one shipped once.
void check_exactly_once(journal_view& journal, const fs::path& dir,
                        const std::vector<std::string>& ids) {
  CHECK(journal.orders() == static_cast<int64_t>(ids.size()));
  CHECK(journal.count("SELECT COUNT(*) FROM (SELECT order_seq FROM order_events WHERE state IN "
                      "('completed', 'failed', 'rejected', 'dead_letter') GROUP BY order_seq "
                      "HAVING COUNT(*) <> 1) x")
        == 0);
  CHECK(journal.count("SELECT COUNT(*) FROM order_events WHERE state IN ('completed', 'failed', "
                      "'rejected', 'dead_letter')")
        == static_cast<int64_t>(ids.size()));
  auto shipped = ledger_counts(dir / "ledger");
  for (auto& [id, n] : shipped)
    CHECK_MESSAGE(n == 1, id);
  CHECK(static_cast<int64_t>(shipped.size()) == journal.orders("state = 'completed'"));
}

}  // namespace

TEST_CASE("a node killed mid-flight: a survivor takes over its orders, each finishes once") {
  temp_dir dir;
  pg_database db;
  member a{dir.path(), db, "a"};
  member b{dir.path(), db, "b"};
  member c{dir.path(), db, "c"};
  std::vector<std::string> ids;
  for (auto* x : {&a, &b, &c}) {
    auto posted = x->post(40, "lamp");
    ids.insert(ids.end(), posted.begin(), posted.end());
  }
  journal_view journal{journal_location{journal_engine::postgresql, db.url()}};
  c.node.process->signal(SIGKILL);
  REQUIRE(c.node.process->wait(10s) == 128 + SIGKILL);
  wait_all_final(journal, 30s);
  check_exactly_once(journal, dir.path(), ids);
  // What c left unfinished moved, once each: c owns only what it finished.
  auto c_unfinished = journal.count("SELECT COUNT(*) FROM order_events WHERE stage = 'cluster'");
  MESSAGE("orders of c unfinished at the kill: " << c_unfinished);
  CHECK(c_unfinished > 0);
  CHECK(journal.orders("owner = 'c'") == 40 - c_unfinished);
  auto took = [&](member& x) {
    return x.node.process->wait_for_log("orders from node c", 0ms).has_value();
  };
  CHECK((took(a) || took(b)));
  // The cluster as any node sees it: c is down; the totals count each order once.
  auto nodes = a.api.get("/api/cluster").json()["nodes"];
  std::map<std::string, std::string> states;
  for (auto& x : nodes)
    states[x.value("id", "")] = x.value("state", "");
  CHECK(states == std::map<std::string, std::string>{{"a", "up"}, {"b", "up"}, {"c", "down"}});
  auto completed = [](const nlohmann::json& x) {
    return x["all"].value("completed", -1);
  };
  auto stats_a = a.api.get("/api/stats").json();
  auto stats_b = b.api.get("/api/stats").json();
  CHECK(completed(stats_a["cluster"]) == 120);
  CHECK(completed(stats_b["cluster"]) == 120);
  CHECK(stats_a["node"].value("id", "") == "a");
  CHECK(completed(stats_a["node"]) + completed(stats_b["node"])
          + journal.orders("owner = 'c' AND state = 'completed'")
        == 120);
  // The shell sees the cluster from any node, attaches to another, lists every node's actors.
  auto port_of = [](member& x) {
    return std::to_string(x.admin_port);
  };
  auto listed =
    shell(dir.path(), {"--port", port_of(a), "--token", admin_token, "--exec", "nodes"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("a *") != std::string::npos);
  CHECK(listed.out.find("down") != std::string::npos);
  auto all =
    shell(dir.path(), {"--port", port_of(a), "--token", admin_token, "--exec", "actors --all"});
  CHECK(all.exit_code == 0);
  CHECK(all.out.find("NODE  ") == 0);
  CHECK(all.out.find("\nb     journal") != std::string::npos);
  CHECK(all.out.find("\nc     (down)") != std::string::npos);
  auto used =
    shell(dir.path(), {"--port", port_of(a), "--token", admin_token}, "", "use b\nnodes\nuse c\n");
  CHECK(used.out.find("attached to node b") != std::string::npos);
  CHECK(used.out.find("b *") != std::string::npos);
  CHECK(used.err.find("node c is down") != std::string::npos);
  // The report covers the cluster, and each node.
  auto report = a.api.get("/api/report");
  CHECK(report.status == 200);
  CHECK(report.body.find("<h2>Orders by node</h2>") != std::string::npos);
  CHECK(report.body.find("<tr><td>a</td>") != std::string::npos);
  // Every order reads back from every node, with its owner.
  auto one = a.api.get("/api/orders/" + ids.back()).json();
  CHECK(one.value("status", "") == "completed");
  CHECK(one.value("node", "") != "c");
  // c, restarted, finds nothing of its own to resume and ships nothing again.
  auto before = ledger_counts(dir.path() / "ledger");
  member again{dir.path(), db, "c"};
  again.node.process->wait_for_log("cluster member c", 10s);
  std::this_thread::sleep_for(1s);
  CHECK(again.node.process->err().find("recovered in state") == std::string::npos);
  CHECK(ledger_counts(dir.path() / "ledger") == before);
  CHECK(journal.orders(unfinished) == 0);
}

TEST_CASE("a node paused past its lease writes nothing for the orders it lost, and rejoins") {
  temp_dir dir;
  pg_database db;
  member a{dir.path(), db, "a"};
  // Room for 30 orders in flight: b takes new ones after the pause only if it let go of the
  // 30 it lost.
  member b{dir.path(), db, "b", {"--shipper.latency=4s", "--node.max-in-flight=30"}};
  auto ids = b.post(30, "desk");
  journal_view journal{journal_location{journal_engine::postgresql, db.url()}};
  wait_until([&] { return journal.orders("state = 'shipping'") == 30; }, 10s);
  REQUIRE(journal.orders("state = 'shipping'") == 30);
  b.node.process->signal(SIGSTOP);
  wait_all_final(journal, 20s);
  CHECK(journal.orders("owner = 'a'") == 30);
  CHECK(a.node.process->wait_for_log("recovered 30 orders from node b", 0ms).has_value());
  b.node.process->signal(SIGCONT);
  // b's carrier calls come back after the pause: the shared carrier answers with the first
  // shipment, and b's journal finds the orders fenced.
  REQUIRE(b.node.process->wait_for_log("while this one was away; dropped them", 15s));
  // All 30 dropped, in one commit or several.
  auto dropped = [&] {
    auto log = b.node.process->err();
    size_t n = 0;
    for (auto i = log.find("another node owns it now"); i != std::string::npos;
         i = log.find("another node owns it now", i + 1))
      ++n;
    return n;
  };
  wait_until([&] { return dropped() == 30; }, 15s);
  CHECK(dropped() == 30);
  check_exactly_once(journal, dir.path(), ids);
  // After each takeover event only a's two: shipping and completed.
  CHECK(journal.count("SELECT COUNT(*) FROM order_events e JOIN order_events t ON "
                      "t.order_seq = e.order_seq AND t.stage = 'cluster' AND e.n > t.n")
        == 30 * 2);
  // Rejoined: b beats again and takes new orders of its own.
  auto more = b.post(2, "pen");
  for (auto& id : more)
    CHECK(wait_final(b.api, id, 20s).value("status", "") == "completed");
  CHECK(journal.count("SELECT COUNT(*) FROM nodes WHERE left_at = 0") == 2);
}

TEST_CASE("an order waiting for its third shipping attempt resumes with attempt 3 at its time") {
  temp_dir dir;
  pg_database db;
  std::vector<std::string> fragile{"--shipper.fail-match=fragile", "--shipper.fail-first=2",
                                   "--shipper.retry-delay=3s", "--shipper.latency=1ms"};
  member a{dir.path(), db, "a", fragile};
  member b{dir.path(), db, "b", fragile};
  auto id = b.post(1, "fragile vase").at(0);
  journal_view journal{journal_location{journal_engine::postgresql, db.url()}};
  auto where = "id = '" + id + "'";
  wait_until([&] { return journal.orders(where + " AND attempt = 3") == 1; }, 15s);
  REQUIRE(journal.orders(where + " AND attempt = 3") == 1);
  auto due = journal.count("SELECT due FROM orders WHERE " + where);
  b.node.process->signal(SIGKILL);
  REQUIRE(b.node.process->wait(10s) == 128 + SIGKILL);
  CHECK(wait_final(a.api, id, 20s).value("status", "") == "completed");
  // After the takeover: attempt 3, not before its time, then completed; no attempt 1 again.
  auto after = [&](const std::string& what) {
    return journal.count(
      "SELECT COUNT(*) FROM order_events e JOIN order_events t ON "
      "t.order_seq = e.order_seq AND t.stage = 'cluster' AND e.n > t.n "
      "JOIN orders o ON o.seq = e.order_seq WHERE o."
      + where + " AND " + what);
  };
  CHECK(after("e.state = 'shipping' AND e.detail = 'attempt 3' AND e.at >= " + std::to_string(due))
        == 1);
  CHECK(after("e.state = 'shipping'") == 1);
  CHECK(after("e.state = 'completed'") == 1);
  CHECK(ledger_counts(dir.path() / "ledger") == std::map<std::string, int>{{id, 1}});
}

TEST_CASE("with RabbitMQ: a front publishes, two workers process, the front reads the status") {
  auto amqp = std::getenv("ORDERNODE_TEST_AMQP_URL");
  REQUIRE_MESSAGE(amqp != nullptr, "ORDERNODE_TEST_AMQP_URL is not set: run tools/test.sh");
  temp_dir dir;
  pg_database db;
  auto tag = "c" + db.name();
  auto broker = [&](bool publish) {
    return std::vector<std::string>{"--broker.enabled=true",
                                    "--broker.url=" + std::string{amqp},
                                    "--broker.exchange=orders-" + tag,
                                    "--broker.results-exchange=results-" + tag,
                                    "--broker.queue-prefix=orders-" + tag + ".",
                                    std::string{"--broker.publish="} + (publish ? "true" : "false"),
                                    std::string{"--broker.consume="} + (publish ? "false" : "true"),
                                    "--shipper.latency=1ms"};
  };
  member w1{dir.path(), db, "w1", broker(false)};
  member w2{dir.path(), db, "w2", broker(false)};
  member front{dir.path(), db, "front", broker(true)};
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto r = front.api.post_json(order_body("lamp", 1, i % 2 == 0 ? "eu" : "us"));
    REQUIRE(r.status == 202);
    CHECK(r.json().value("statusUrl", "").find("/api/orders/") == 0);
    ids.push_back(r.json().value("id", ""));
  }
  std::set<std::string> owners;
  for (auto& id : ids) {
    auto x = wait_final(front.api, id, 30s);
    CHECK(x.value("status", "") == "completed");
    owners.insert(x.value("node", ""));
  }
  CHECK(owners.count("front") == 0);  // The front only publishes.
  CHECK(owners.size() >= 1);
  journal_view journal{journal_location{journal_engine::postgresql, db.url()}};
  check_exactly_once(journal, dir.path(), ids);
  // The workers' results come back to the front, which saw every order it published finish.
  wait_until([&] { return journal.count("SELECT COUNT(*) FROM outbox") == 0; }, 10s);
  CHECK(journal.count("SELECT COUNT(*) FROM outbox") == 0);
  CHECK(front.node.process->wait_for_log("lost", 0ms) == std::nullopt);
}
