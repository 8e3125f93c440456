// The HTTP API of the real ordernode binary, over real HTTP: contract, errors, idempotency,
// reads, paging, overload and the WebSocket feed.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/time.h>

#include "tests/support/http_node.hpp"
#include "tests/support/journal_view.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

using namespace ordernode::test;
using json = nlohmann::json;

namespace {

struct bad_case {
  std::string name;
  http::verb method;
  std::string target;
  std::string body;
  header_list headers;
  unsigned status;
  std::string error;
  std::string field;
};

header_list json_type{{"Content-Type", "application/json"}};

std::vector<bad_case> bad_cases(int64_t body_limit) {
  auto post = [](std::string name, std::string body, unsigned status, std::string error,
                 std::string field = "") {
    return bad_case{std::move(name), http::verb::post, "/api/orders",    std::move(body),
                    json_type,       status,           std::move(error), std::move(field)};
  };
  auto get = [](std::string name, std::string target, unsigned status, std::string error,
                std::string field = "") {
    return bad_case{std::move(name), http::verb::get,  std::move(target), "", {},
                    status,          std::move(error), std::move(field)};
  };
  std::string big(static_cast<size_t>(body_limit) + 1, ' ');
  return {
    post("broken JSON", R"({"productName": "kb", )", 400, "invalid_json"),
    post("empty body", "", 400, "invalid_json"),
    post("trailing garbage", order_body("kb") + " x", 400, "invalid_json"),
    post("invalid UTF-8", "{\"productName\": \"\xff\xfe\", \"quantity\": 1}", 400, "invalid_json"),
    post("a JSON array", "[1, 2]", 400, "wrong_type"),
    post("a JSON string", R"("order")", 400, "wrong_type"),
    post("missing productName", R"({"quantity":1,"region":"eu","customer":"a"})", 400,
         "missing_field", "productName"),
    post("productName a number", R"({"productName":5,"quantity":1,"region":"eu","customer":"a"})",
         400, "wrong_type", "productName"),
    post("quantity a string", R"({"productName":"kb","quantity":"3","region":"eu","customer":"a"})",
         400, "wrong_type", "quantity"),
    post("quantity a fraction",
         R"({"productName":"kb","quantity":1.5,"region":"eu","customer":"a"})", 400, "wrong_type",
         "quantity"),
    post("missing quantity", R"({"productName":"kb","region":"eu","customer":"a"})", 400,
         "missing_field", "quantity"),
    post("region null", R"({"productName":"kb","quantity":1,"region":null,"customer":"a"})", 400,
         "wrong_type", "region"),
    post("missing customer", R"({"productName":"kb","quantity":1,"region":"eu"})", 400,
         "missing_field", "customer"),
    post("vip a string",
         R"({"productName":"kb","quantity":1,"region":"eu","customer":"a","vip":"yes"})", 400,
         "wrong_type", "vip"),
    post("an unknown field",
         R"({"productName":"kb","quantity":1,"region":"eu","customer":"a","color":"red"})", 400,
         "unknown_field", "color"),
    post("empty product name", order_body(""), 422, "validation", "productName"),
    post("blank product name", order_body("   "), 422, "validation", "productName"),
    post("product name too long", order_body(std::string(201, 'p')), 422, "validation",
         "productName"),
    post("negative quantity", order_body("kb", -5), 422, "validation", "quantity"),
    post("unknown region", order_body("kb", 1, "mars"), 422, "validation", "region"),
    post("body over the limit", big, 413, "payload_too_large"),
    {"text/plain body",
     http::verb::post,
     "/api/orders",
     order_body("kb"),
     {{"Content-Type", "text/plain"}},
     415,
     "unsupported_media_type",
     "Content-Type"},
    {"no content type",
     http::verb::post,
     "/api/orders",
     order_body("kb"),
     {},
     415,
     "unsupported_media_type",
     "Content-Type"},
    {"Idempotency-Key with a space",
     http::verb::post,
     "/api/orders",
     order_body("kb"),
     {{"Content-Type", "application/json"}, {"Idempotency-Key", "a b"}},
     400,
     "invalid_header",
     "Idempotency-Key"},
    get("limit 0", "/api/orders?limit=0", 400, "invalid_parameter", "limit"),
    get("limit not a number", "/api/orders?limit=ten", 400, "invalid_parameter", "limit"),
    get("limit too large", "/api/orders?limit=1000000", 400, "invalid_parameter", "limit"),
    get("unknown status", "/api/orders?status=lost", 400, "invalid_parameter", "status"),
    get("negative cursor", "/api/orders?after=-1", 400, "invalid_parameter", "after"),
    get("unknown parameter", "/api/orders?sort=asc", 400, "invalid_parameter", "sort"),
    get("broken percent-encoding", "/api/orders?region=%zz", 400, "invalid_target"),
    get("unknown order", "/api/orders/no-such-order", 404, "not_found", "id"),
    get("unknown API route", "/api/customers", 404, "not_found"),
    get("unknown file", "/nothing-here.html", 404, "not_found"),
    get("path out of the page folder", "/../CMakeLists.txt", 404, "not_found"),
    {"PUT on the orders", http::verb::put, "/api/orders", order_body("kb"), json_type, 405,
     "method_not_allowed", ""},
    {"DELETE on an order",
     http::verb::delete_,
     "/api/orders/x",
     "",
     {},
     405,
     "method_not_allowed",
     ""},
    {"POST on /healthz", http::verb::post, "/healthz", "{}", json_type, 405, "method_not_allowed",
     ""},
    get("/ws without an upgrade", "/ws", 426, "upgrade_required"),
  };
}

void check_error(const http_reply& r, const std::string& error, const std::string& field) {
  CHECK(r.header("Content-Type") == "application/json");
  auto doc = r.json();
  REQUIRE(doc.is_object());
  CHECK(doc.value("error", "") == error);
  CHECK(doc.contains("message"));
  CHECK(doc["message"].is_string());
  CHECK_FALSE(doc["message"].get<std::string>().empty());
  if (!field.empty())
    CHECK(doc.value("field", "") == field);
}

void check_healthy(http_client& c) {
  CHECK(c.get("/healthz").status == 200);
  auto r = c.post_json(order_body("health check"));
  CHECK(r.status == 202);
  CHECK(r.json().value("id", "").size() == 36);
}

}  // namespace

TEST_CASE("malformed requests get the right status and a JSON error; the node stays healthy") {
  temp_dir dir;
  auto db = dir.path() / "api.db";
  http_node node{dir.path(), "node", db, {"--http.body-limit=4096"}};
  http_client c{node.port};
  auto cases = bad_cases(4096);
  REQUIRE(cases.size() >= 20);
  for (auto& x : cases) {
    CAPTURE(x.name);
    auto r = c.request(x.method, x.target, x.body, x.headers);
    CHECK(r.status == x.status);
    check_error(r, x.error, x.field);
    if (x.status == 405)
      CHECK_FALSE(r.header("Allow").empty());
  }
  SUBCASE("raw protocol errors") {
    for (auto& bytes :
         {std::string{"GARBAGE\r\n\r\n"},
          std::string{"GET /healthz HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"},
          std::string{"GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"},
          std::string{"POST /api/orders HTTP/1.1\r\nContent-Length: x\r\n\r\n"}}) {
      CAPTURE(bytes);
      auto r = c.raw(bytes);
      CHECK(r.status == 400);
      check_error(r, "bad_request", "");
    }
    auto huge = "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(20000, 'x') + "\r\n\r\n";
    CHECK(c.raw(huge).status == 431);
  }
  // Only the well-formed orders that fail the flow's own validation are in the journal, as
  // rejected: empty, blank and too long names, a negative quantity, an unknown region.
  CHECK(wait_until(
    [&] {
      return journal_view{db}.count("SELECT COUNT(*) FROM orders WHERE state = 'rejected'") == 5;
    },
    20s));
  check_healthy(c);
  CHECK(node.stop() == 0);
}

TEST_CASE("the API applies the validator's rules: what breaks one is recorded as rejected") {
  temp_dir dir;
  auto db = dir.path() / "api.db";
  http_node node{dir.path(), "node", db, {"--validation.require-customer=true"}};
  http_client c{node.port};
  // The seed's rule: quantity 0 is a valid order.
  auto zero = c.post_json(order_body("kb", 0));
  CHECK(zero.status == 202);
  auto nobody = c.post_json(order_body("kb", 1, "eu", false, ""));
  CHECK(nobody.status == 422);
  check_error(nobody, "validation", "customer");
  auto id = nobody.json().value("id", "");
  REQUIRE(id.size() == 36);
  CHECK(wait_until(
    [&] {
      return journal_view{db}.count(
               "SELECT COUNT(*) FROM orders WHERE state = 'rejected' AND id = '" + id + "'")
             == 1;
    },
    20s));
  CHECK(node.stop() == 0);
}

TEST_CASE("a silent connection closes after http.idle-timeout; an unanswered POST gets 504") {
  temp_dir dir;
  auto db = dir.path() / "api.db";
  http_node node{
    dir.path(), "node", db, {"--http.idle-timeout=300ms", "--http.request-timeout=500ms"}};
  for (auto& bytes : {std::string{}, std::string{"GET /healthz HTTP/1.1\r\nHost: x\r\n"}}) {
    CAPTURE(bytes);
    net::io_context ioc;
    tcp::socket s{ioc};
    s.connect({net::ip::make_address("127.0.0.1"), node.port});
    if (!bytes.empty())
      net::write(s, net::buffer(bytes));
    timeval limit{10, 0};
    REQUIRE(setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) == 0);
    auto start = std::chrono::steady_clock::now();
    char buf[256];
    auto n = ::recv(s.native_handle(), buf, sizeof(buf), 0);
    auto waited = std::chrono::steady_clock::now() - start;
    CHECK(n == 0);
    CHECK(waited >= 250ms);
    CHECK(waited < 5s);
  }
  http_client c{node.port};
  {
    // The journal cannot commit while another process holds the write lock.
    SQLite::Database other{db.string(), SQLite::OPEN_READWRITE, 5000};
    other.exec("BEGIN IMMEDIATE");
    auto start = std::chrono::steady_clock::now();
    auto r = c.post_json(order_body("stuck behind a lock"));
    auto waited = std::chrono::steady_clock::now() - start;
    // The journal is still waiting for the lock (its busy timeout is longer than the request
    // timeout), so the outcome is open: a 504 that says so and names the order.
    CHECK(r.status == 504);
    check_error(r, "outcome_unknown", "");
    CHECK(r.header("Retry-After") == "1");
    CHECK(r.json()["statusUrl"] == "/api/orders/" + r.json()["id"].get<std::string>());
    CHECK(waited >= 450ms);
    CHECK(waited < 5s);
    other.exec("ROLLBACK");
  }
  // The order behind the 504 was taken once the lock was gone, within the journal's wait.
  CHECK(wait_until(
    [&] {
      return journal_view{db}.count(
               "SELECT COUNT(*) FROM orders WHERE product_name = 'stuck behind a lock'")
             == 1;
    },
    20s));
  check_healthy(c);
  CHECK(node.stop() == 0);
}

TEST_CASE("the journal report and the metrics are served from their providers") {
  temp_dir dir;
  http_node node{dir.path(), "node", dir.path() / "api.db"};
  http_client c{node.port};
  REQUIRE(c.post_json(order_body("report")).status == 202);
  auto report = c.get("/api/report");
  CHECK(report.status == 200);
  CHECK(report.header("Content-Type").rfind("text/html", 0) == 0);
  CHECK(report.body.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(report.body.find("<svg") != std::string::npos);
  auto metrics = c.get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.header("Content-Type").rfind("text/plain", 0) == 0);
  CHECK(metrics.body.find("# TYPE ordernode_") != std::string::npos);
}

TEST_CASE("a 202 comes once the order is in the journal; GET shows its state and history") {
  temp_dir dir;
  auto db = dir.path() / "api.db";
  http_node node{dir.path(), "node", db};
  http_client c{node.port};
  CHECK(c.get("/readyz").status == 200);
  auto r = c.post_json(order_body("monitor", 3, "us", true, "bob"));
  REQUIRE(r.status == 202);
  auto id = r.json()["id"].get<std::string>();
  CHECK(r.json()["statusUrl"] == "/api/orders/" + id);
  CHECK(r.header("Location") == "/api/orders/" + id);
  {
    journal_view j{db};
    CHECK(j.ids().count(id) == 1);
  }
  auto rec = wait_final(c, id);
  CHECK(rec["status"] == "completed");
  CHECK(rec["productName"] == "monitor");
  CHECK(rec["quantity"] == 3);
  CHECK(rec["region"] == "us");
  CHECK(rec["customer"] == "bob");
  CHECK(rec["vip"] == true);
  std::vector<std::string> states;
  for (auto& e : rec["history"])
    states.push_back(e["state"]);
  std::string seen;
  for (auto& x : states)
    seen += x + " ";
  INFO("changes seen: ", seen);
  CHECK(states
        == std::vector<std::string>{"received", "validated", "processing", "processed", "shipping",
                                    "completed"});
  auto head = c.request(http::verb::head, "/api/orders/" + id);
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  auto stats = c.get("/api/stats").json();
  CHECK(stats["all"]["completed"] == 1);
  CHECK(stats["byRegion"]["us"]["quantity"] == 3);
  auto page = c.get("/");
  CHECK(page.status == 200);
  CHECK(page.header("Content-Type").rfind("text/html", 0) == 0);
  CHECK(page.body.find("In progress") != std::string::npos);
  CHECK(c.get("/app.js").header("Content-Type").rfind("text/javascript", 0) == 0);
  CHECK(node.stop() == 0);
}

TEST_CASE("an Idempotency-Key makes a retry return the same order, also after a restart") {
  temp_dir dir;
  auto db = dir.path() / "api.db";
  std::string first_id;
  {
    http_node node{dir.path(), "first", db};
    http_client c{node.port};
    header_list key{{"Idempotency-Key", "retry-me-123"}};
    auto a = c.post_json(order_body("dock", 2), key);
    auto b = c.post_json(order_body("dock", 2), key);
    REQUIRE(a.status == 202);
    REQUIRE(b.status == 202);
    first_id = a.json()["id"];
    CHECK(b.json()["id"] == first_id);
    CHECK(a.json()["replayed"] == false);
    CHECK(b.json()["replayed"] == true);
    auto other = c.post_json(order_body("dock", 2), {{"Idempotency-Key", "another-key"}});
    CHECK(other.json()["id"] != first_id);
    SUBCASE("the same key for a different order is a conflict") {
      auto r = c.post_json(order_body("laptop", 9), key);
      CHECK(r.status == 409);
      check_error(r, "conflict", "Idempotency-Key");
    }
    wait_final(c, first_id);
    CHECK(node.stop() == 0);
  }
  CHECK(journal_view{db}.ids("id = '" + first_id + "'").size() == 1);
  auto before = journal_view{db}.orders();
  http_node node{dir.path(), "second", db};
  http_client c{node.port};
  auto again = c.post_json(order_body("dock", 2), {{"Idempotency-Key", "retry-me-123"}});
  CHECK(again.status == 202);
  CHECK(again.json()["id"] == first_id);
  CHECK(again.json()["replayed"] == true);
  CHECK(journal_view{db}.orders() == before);
  CHECK(wait_final(c, first_id)["status"] == "completed");
  CHECK(node.stop() == 0);
}

TEST_CASE("the listing filters by status and region and pages with a cursor") {
  temp_dir dir;
  auto db = dir.path() / "api.db";
  http_node node{dir.path(), "node", db, {"--processor.fail-match=broken"}};
  http_client c{node.port};
  std::set<std::string> ids, failed, us;
  for (int i = 0; i < 7; ++i) {
    auto region = i % 2 == 0 ? "eu" : "us";
    auto product = i % 3 == 0 ? "broken toy" : "keyboard";
    auto r = c.post_json(order_body(product, i + 1, region));
    REQUIRE(r.status == 202);
    auto id = r.json()["id"].get<std::string>();
    ids.insert(id);
    if (i % 3 == 0)
      failed.insert(id);
    if (i % 2 == 1)
      us.insert(id);
  }
  for (auto& id : ids)
    wait_final(c, id);
  std::set<std::string> seen;
  std::string after = "0";
  int pages = 0;
  for (;;) {
    auto r = c.get("/api/orders?limit=3&after=" + after);
    REQUIRE(r.status == 200);
    auto doc = r.json();
    for (auto& x : doc["orders"]) {
      CHECK(seen.insert(x["id"].get<std::string>()).second);
      CHECK_FALSE(x.contains("history"));
    }
    ++pages;
    if (doc["next"].is_null())
      break;
    after = doc["next"].get<std::string>();
    REQUIRE(pages < 10);
  }
  CHECK(seen == ids);
  CHECK(pages == 3);
  auto collect = [&](const std::string& target) {
    std::set<std::string> result;
    auto doc = c.get(target).json();
    for (auto& x : doc["orders"])
      result.insert(x["id"].get<std::string>());
    return result;
  };
  CHECK(collect("/api/orders?status=failed") == failed);
  CHECK(collect("/api/orders?region=us") == us);
  auto one = c.get("/api/orders/" + *failed.begin()).json();
  CHECK(one["status"] == "failed");
  CHECK(one["detail"].get<std::string>().find("broken") != std::string::npos);
  CHECK(node.stop() == 0);
}

TEST_CASE("an overloaded node answers 503 with Retry-After and loses nothing it accepted") {
  temp_dir dir;
  auto db = dir.path() / "api.db";
  http_node node{dir.path(),
                 "node",
                 db,
                 {"--node.max-in-flight=2", "--processor.latency=3s", "--http.retry-after=7"}};
  http_client c{node.port};
  std::vector<std::string> accepted;
  http_reply refused;
  for (int i = 0; i < 5 && refused.status == 0; ++i) {
    auto r = c.post_json(order_body("slow thing"));
    if (r.status == 202)
      accepted.push_back(r.json()["id"]);
    else
      refused = r;
  }
  CHECK(accepted.size() == 2);
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "7");
  check_error(refused, "overloaded", "");
  CHECK(c.get("/healthz").status == 200);
  for (auto& id : accepted)
    CHECK(wait_final(c, id)["status"] == "completed");
  CHECK(journal_view{db}.orders() == 2);
  CHECK(node.stop() == 0);
}

TEST_CASE("/ws pushes every state change; a client that does not read skips ahead") {
  temp_dir dir;
  auto db = dir.path() / "api.db";
  http_node node{dir.path(), "node", db, {"--http.ws-queue-limit=4096"}};
  http_client c{node.port};
  ws_client live{node.port};
  auto hello = live.next(5s);
  REQUIRE(hello);
  CHECK((*hello)["type"] == "hello");
  // The journal publishes only once someone listens: give the subscription a moment to land.
  CHECK(wait_until([&] { return c.get("/api/stats").json()["websocket"]["clients"] == 1; }, 5s));
  std::this_thread::sleep_for(200ms);
  auto id = c.post_json(order_body("webcam")).json()["id"].get<std::string>();
  std::vector<std::string> states;
  while (states.empty() || states.back() != "completed") {
    auto msg = live.next(10s);
    REQUIRE(msg);
    if ((*msg)["type"] != "changes")
      continue;
    for (auto& x : (*msg)["changes"])
      if (x["id"] == id) {
        states.push_back(x["state"]);
        CHECK(x["productName"] == "webcam");
      }
  }
  CHECK(states
        == std::vector<std::string>{"received", "validated", "processing", "processed", "shipping",
                                    "completed"});

  // A second client that never reads: once the socket buffers are full its queue stays at
  // 4 KiB and it skips the rest, while the first client and the API carry on.
  ws_client slow{node.port, 4096};
  std::vector<std::unique_ptr<http_client>> clients;
  for (int i = 0; i < 4; ++i)
    clients.push_back(std::make_unique<http_client>(node.port));
  uint64_t skipped = 0;
  for (int round = 0; round < 400 && skipped == 0; ++round) {
    for (int i = 0; i < 50; ++i)
      REQUIRE(clients[static_cast<size_t>(i % 4)]
                ->post_json(
                  order_body("flood " + std::to_string(i), 1, "eu", false, std::string(100, 'c')))
                .status
              == 202);
    skipped = c.get("/api/stats").json()["websocket"]["skipped"].get<uint64_t>();
    while (live.next(50ms)) {
    }
  }
  CHECK(skipped > 0);
  check_healthy(c);
  CHECK(node.stop() == 0);
}
