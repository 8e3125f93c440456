// The HTTP API against a client that means harm: files outside the page, bodies built to
// break the parser, racing retries, forged log lines, reports that hog the server, and a
// journal that cannot commit.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "tests/support/http_node.hpp"
#include "tests/support/journal_view.hpp"
#include "tests/support/process_probes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

using namespace ordernode::test;
using json = nlohmann::json;

namespace {

// Runs `f(i)` for i in 0..n-1 on n threads released at the same moment.
template <class F>
void at_once(int n, F f) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      ++ready;
      while (ready < n)
        std::this_thread::yield();
      f(i);
    });
  for (auto& t : threads)
    t.join();
}

}  // namespace

TEST_CASE("the page handler serves the files that ship and nothing else on the disk") {
  temp_dir dir;
  auto db = dir.path() / "sec.db";
  http_node node{dir.path(), "node", db};
  http_client c{node.port};
  CHECK(c.get("/").status == 200);
  CHECK(c.get("/app.js").status == 200);
  CHECK(c.get("/index.html").status == 200);
  for (std::string target : std::vector<std::string>{
         "//etc/passwd", "////etc//passwd", "/%2Fetc/passwd", "/%2F%2Fetc%2Fpasswd",
         "//proc/self/cmdline", "//proc/self/environ", "//proc/self/cwd/sec.db",
         "/%2Fproc/self/cwd/sec.db", "/..%2F..%2F..%2Fetc/passwd", "/%2E%2E/%2E%2E/etc/passwd",
         "//" + db.string(), "/" + db.string(), "/./index.html", "//index.html", "/app.js/",
         "/.%2Fapp.js", "/%00", "/index.html%00.js"}) {
    CAPTURE(target);
    auto r = c.get(target);
    CHECK(r.status == 404);
    CHECK(r.body.find("root:") == std::string::npos);
    CHECK(r.body.find("SQLite format") == std::string::npos);
    CHECK(r.body.find("--journal.path") == std::string::npos);
  }
  CHECK(node.stop() == 0);
}

TEST_CASE("a NUL byte, trailing bytes or deep nesting in a body is a 400 and costs no memory") {
  temp_dir dir;
  auto db = dir.path() / "sec.db";
  http_node node{dir.path(), "node", db, {"--http.body-limit=12582912"}};
  http_client c{node.port};
  auto good = order_body("nul");
  for (auto body :
       {good + std::string{"\0", 1}, good + std::string{"\0garbage", 8},
        good + std::string{"\0{\"x\":1}", 8}, good + " {}", good + std::string{"\n\0", 2}}) {
    auto r = c.post_json(body);
    CHECK(r.status == 400);
    CHECK(r.json()["error"] == "invalid_json");
  }
  auto before = status_kib(node.process->pid(), "VmHWM");
  REQUIRE(before > 0);
  auto r = c.post_json(std::string(size_t{10} << 20, '['));
  CHECK(r.status == 400);
  CHECK(r.json()["error"] == "invalid_json");
  CHECK(r.json()["message"].get<std::string>().find("deeper than 32") != std::string::npos);
  auto after = status_kib(node.process->pid(), "VmHWM");
  INFO("peak RSS before ", before, " KiB, after ", after, " KiB");
  // The body itself is 10 MiB and passes through a few buffers; parsing it took 536 MiB.
  CHECK(after - before < 100 * 1024);
  CHECK(c.post_json(good).status == 202);
  CHECK(node.stop() == 0);
  CHECK(journal_view{db}.orders() == 1);
}

TEST_CASE("two POSTs at the same moment with one Idempotency-Key take one order") {
  temp_dir dir;
  auto db = dir.path() / "sec.db";
  http_node node{dir.path(), "node", db};
  constexpr int rounds = 20;
  for (int round = 0; round < rounds; ++round) {
    for (auto same_body : {false, true}) {
      CAPTURE(round);
      CAPTURE(same_body);
      auto key = "race-" + std::to_string(round) + (same_body ? "-same" : "-different");
      http_client clients[2]{http_client{node.port}, http_client{node.port}};
      for (auto& x : clients)
        REQUIRE(x.get("/healthz").status == 200);
      http_reply replies[2];
      at_once(2, [&](int i) {
        auto body = order_body(same_body ? "same" : "body-" + std::to_string(i));
        replies[i] = clients[i].post_json(body, {{"Idempotency-Key", key}});
      });
      std::multiset<unsigned> statuses{replies[0].status, replies[1].status};
      if (same_body) {
        CHECK(statuses == std::multiset<unsigned>{202, 202});
        CHECK(replies[0].json()["id"] == replies[1].json()["id"]);
        CHECK(replies[0].json()["replayed"].get<bool>()
              != replies[1].json()["replayed"].get<bool>());
      } else {
        CHECK(statuses == std::multiset<unsigned>{202, 409});
        auto& won = replies[0].status == 202 ? replies[0] : replies[1];
        auto& lost = replies[0].status == 202 ? replies[1] : replies[0];
        CHECK(won.json()["replayed"] == false);
        CHECK(lost.json()["error"] == "conflict");
      }
    }
  }
  CHECK(node.stop() == 0);
  CHECK(journal_view{db}.orders() == 2 * rounds);
}

TEST_CASE("a product name with a newline cannot forge a log line") {
  temp_dir dir;
  http_node node{dir.path(), "node", dir.path() / "sec.db"};
  http_client c{node.port};
  auto forged = "2026-01-01T00:00:00.000000Z critical FORGED by a client";
  auto r = c.post_json(order_body(std::string{"kb\n"} + forged + "\r\n\x1b[2J"));
  REQUIRE(r.status == 202);
  auto id = r.json()["id"].get<std::string>();
  CHECK(wait_final(c, id)["status"] == "completed");
  CHECK(node.stop() == 0);
  auto log = node.process->err();
  std::istringstream lines{log};
  size_t escaped = 0;
  for (std::string line; std::getline(lines, line);) {
    CHECK(line.rfind("2026-01-01T00:00:00.000000Z", 0) != 0);
    CHECK(line.find('\x1b') == std::string::npos);
    if (line.find("kb\\n2026-01-01T00:00:00.000000Z critical FORGED") != std::string::npos)
      ++escaped;
  }
  CHECK(escaped > 0);
}

TEST_CASE("reports render off the HTTP threads, one at a time, and /healthz stays quick") {
  temp_dir dir;
  auto db = dir.path() / "sec.db";
  http_node node{dir.path(), "node", db, {"--http.threads=1"}};
  {
    // A journal big enough that one report takes a while.
    SQLite::Database x{db.string(), SQLite::OPEN_READWRITE, 5000};
    x.exec("BEGIN");
    x.exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) "
      "INSERT INTO orders (id, product_name, quantity, region, customer, vip, state, "
      "created_at, updated_at) SELECT 'bulk-' || i, 'p' || (i % 500), 1, 'eu', 'c', 0, "
      "'completed', i, i FROM n");
    x.exec(
      "INSERT INTO order_events (order_seq, state, stage, detail, at) SELECT seq, "
      "'shipping', 'shipper', '', created_at FROM orders");
    x.exec("COMMIT");
  }
  std::atomic<int> ok{0};
  std::atomic<int> busy{0};
  std::atomic<bool> reporting{true};
  std::vector<std::chrono::milliseconds> health;
  std::thread prober{[&] {
    http_client c{node.port};
    while (reporting) {
      auto start = clock_type::now();
      auto r = c.get("/healthz");
      CHECK(r.status == 200);
      health.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start));
      std::this_thread::sleep_for(20ms);
    }
  }};
  at_once(8, [&](int) {
    http_client c{node.port};
    auto r = c.get("/api/report");
    if (r.status == 200 && r.body.find("ordernode journal report") != std::string::npos)
      ++ok;
    else if (r.status == 503 && r.json()["error"] == "report_busy"
             && !r.header("Retry-After").empty())
      ++busy;
  });
  reporting = false;
  prober.join();
  CHECK(ok >= 1);
  CHECK(ok + busy == 8);
  CHECK(busy >= 1);
  REQUIRE_FALSE(health.empty());
  auto slowest = *std::max_element(health.begin(), health.end());
  INFO("slowest /healthz: ", slowest.count(), " ms over ", health.size(), " probes");
  CHECK(slowest < 1s);
  CHECK(node.stop() == 0);
}

TEST_CASE("while the journal cannot commit, a POST is not accepted: 503 and /readyz says why") {
  temp_dir dir;
  auto db = dir.path() / "sec.db";
  http_node node{dir.path(), "node", db, {"--http.request-timeout=30s"}};
  http_client c{node.port};
  REQUIRE(c.get("/readyz").status == 200);
  std::string refused_id;
  {
    // Another process holds the write lock for longer than the journal's busy timeout (5 s).
    SQLite::Database other{db.string(), SQLite::OPEN_READWRITE, 5000};
    other.exec("BEGIN IMMEDIATE");
    auto start = clock_type::now();
    auto r = c.post_json(order_body("behind a long lock"));
    auto waited = clock_type::now() - start;
    CHECK(r.status == 503);
    CHECK(r.json()["error"] == "journal_unavailable");
    CHECK(r.header("Retry-After") == "1");
    CHECK(waited < 15s);
    auto ready = c.get("/readyz");
    CHECK(ready.status == 503);
    CHECK(ready.json()["reason"] == "the journal cannot commit");
    CHECK(ready.header("Retry-After") == "1");
    // While the journal is known to fail, a POST is refused at once.
    start = clock_type::now();
    auto again = c.post_json(order_body("behind a long lock"));
    CHECK(again.status == 503);
    CHECK(clock_type::now() - start < 3s);
    other.exec("ROLLBACK");
  }
  CHECK(wait_until([&] { return c.get("/readyz").status == 200; }, 15s));
  auto r = c.post_json(order_body("after the lock"));
  REQUIRE(r.status == 202);
  CHECK(wait_final(c, r.json()["id"].get<std::string>())["status"] == "completed");
  CHECK(node.stop() == 0);
  // A 503 meant "not accepted": neither refused order was taken afterwards.
  CHECK(journal_view{db}.orders("product_name = 'behind a long lock'") == 0);
  CHECK(journal_view{db}.orders("product_name = 'after the lock'") == 1);
}
