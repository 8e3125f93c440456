// What the PostgreSQL store does beyond the contract: connection failures and their recovery.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "runtime/core/errors.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/store_backends.hpp"
#include "tests/support/tcp_proxy.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

pg_options options_at(std::string url) {
  pg_options result;
  result.url = std::move(url);
  return result;
}

std::vector<int64_t> commit_ok(order_store& store, const journal_batch& batch) {
  auto seqs = store.commit(batch);
  REQUIRE_MESSAGE(seqs, describe(seqs.error()));
  return *seqs;
}

// Ends the server side of every connection the store holds to `db`, as a server restart would.
void drop_connections(const pg_database& db) {
  auto rows = pg_connect(postgres_url())
                ->query(
                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = $1 AND application_name = 'ordernode'",
                  {db.name()});
  REQUIRE_MESSAGE(rows, describe(rows.error()));
  REQUIRE(rows->size() >= 1);
}

// Order a committed; the next batch holds the new order b, a's next state and an error.
struct two_commits {
  explicit two_commits(order_store& store)
      : a(new_order("mouse", 3, "eu")), b(new_order("dock", 5, "us")) {
    journal_batch first;
    first.new_orders = {a};
    seq = commit_ok(store, first).at(0);
    second.new_orders = {b};
    second.changes = {state_change{
      seq, 1, order_event{a.id, order_state::validated, stage_id::validator, "", now()}}};
    second.errors = {error_report{a.id, stage_id::validator, error_type::validation, "x", 5}};
  }

  order a;
  order b;
  int64_t seq = 0;
  journal_batch second;
};

// `url` with its host and port replaced by 127.0.0.1:port.
std::string through(const std::string& url, uint16_t port) {
  auto at = url.find('@');
  auto slash = url.find('/', at);
  return url.substr(0, at + 1) + "127.0.0.1:" + std::to_string(port) + url.substr(slash);
}

uint16_t port_of(const std::string& url) {
  auto at = url.find('@');
  auto colon = url.find(':', at);
  return static_cast<uint16_t>(std::stoi(url.substr(colon + 1)));
}

}  // namespace

TEST_CASE("a commit whose answer was lost, but which happened, is taken back on reconnect") {
  pg_backend backend;
  tcp_proxy proxy{port_of(backend.db.url())};
  auto opened = open_pg_store(options_at(through(backend.db.url(), proxy.port())));
  REQUIRE_MESSAGE(opened, describe(opened.error()));
  auto& store = *opened;
  two_commits t{*store};
  auto& [a, b, seq, second] = t;
  second.outbox = {outbox_message{0, "orders", "us", b.id, "{}", 7},
                   outbox_message{0, "order-results", "eu", a.id, "{}", 8}};
  // The server runs the commit; its answer never arrives, then the connection breaks.
  proxy.swallow_answers();
  std::thread cutter{[&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    proxy.cut();
  }};
  auto failed = store->commit(second);
  cutter.join();
  REQUIRE_FALSE(failed);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM orders WHERE id = '" + b.id + "'") == 1);
  // The journal refused b and withdrew its forward; it commits the rest again.
  second.new_orders.clear();
  second.outbox.erase(second.outbox.begin());
  commit_ok(*store, second);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM orders") == 1);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM event_log") == 2);
  CHECK(backend.sql_strings(
          "SELECT state FROM order_events WHERE order_seq = " + std::to_string(seq) + " ORDER BY n")
        == std::vector<std::string>{"received", "validated"});
  CHECK(backend.sql_int("SELECT COUNT(*) FROM errors") == 1);
  CHECK(backend.sql_strings("SELECT exchange FROM outbox")
        == std::vector<std::string>{"order-results"});
  auto page = store->outbox(0, 10);
  REQUIRE(page);
  CHECK(page->backlog == 1);
}

TEST_CASE("a lost connection fails the commit, and the next one reconnects and writes it once") {
  pg_backend backend;
  auto store = open_store(backend);
  two_commits t{*store};
  auto& [a, b, seq, second] = t;
  drop_connections(backend.db);
  auto failed = store->commit(second);
  REQUIRE_FALSE(failed);
  CHECK(describe(failed.error()).find("store_failure") != std::string::npos);
  // The journal refuses the new orders of a failed commit and commits the rest again.
  second.new_orders.clear();
  commit_ok(*store, second);
  commit_ok(*store, second);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM orders") == 1);
  CHECK(backend.sql_strings(
          "SELECT state FROM order_events WHERE order_seq = " + std::to_string(seq) + " ORDER BY n")
        == std::vector<std::string>{"received", "validated"});
  CHECK(backend.sql_int("SELECT COUNT(*) FROM errors") == 1);
  auto unfinished = store->unfinished();
  REQUIRE(unfinished);
  REQUIRE(unfinished->size() == 1);
  CHECK(unfinished->at(0).item.state == order_state::validated);
}

TEST_CASE("an unreachable server is an error that names it") {
  auto store = open_pg_store(options_at("postgresql://ordernode@127.0.0.1:1/ordernode"));
  REQUIRE_FALSE(store);
  CHECK(describe(store.error()).find("127.0.0.1") != std::string::npos);
}

TEST_CASE("a missing database and a refused login are errors that say so") {
  auto base = postgres_url();
  auto slash = base.rfind('/');
  auto missing = open_pg_store(options_at(base.substr(0, slash + 1) + "no_such_database"));
  REQUIRE_FALSE(missing);
  CHECK(describe(missing.error()).find("no_such_database") != std::string::npos);
  auto at = base.find('@');
  auto stranger = open_pg_store(options_at("postgresql://no_such_user" + base.substr(at)));
  REQUIRE_FALSE(stranger);
  CHECK(describe(stranger.error()).find("no_such_user") != std::string::npos);
  auto garbage = open_pg_store(options_at("postgresql://[::1"));
  REQUIRE_FALSE(garbage);
}
