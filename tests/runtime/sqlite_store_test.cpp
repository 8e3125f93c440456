#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "runtime/core/errors.hpp"
#include "runtime/store/sqlite_store.hpp"
#include "tests/support/journal_view.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/sqlite_queries.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode;
using namespace std::chrono_literals;
using ordernode::test::new_order;
using ordernode::test::query_int;
using ordernode::test::query_strings;
using ordernode::test::temp_dir;

namespace {

struct fixture {
  temp_dir dir;
  std::string path = dir.file("journal.db");

  std::unique_ptr<order_store> open(int busy_timeout_ms = 5000) {
    auto store = open_sqlite_store({path, false, busy_timeout_ms});
    REQUIRE_MESSAGE(store, describe(store.error()));
    return std::move(*store);
  }

  SQLite::Database read() const {
    return SQLite::Database{path, SQLite::OPEN_READONLY};
  }
};

// Numbers each order's events after its `received` (0); counting on across test cases keeps
// them unique within every journal too.
state_change change(int64_t seq, const order& x, order_state state, std::string detail = "") {
  static std::map<int64_t, int32_t> next;
  return state_change{seq, ++next[seq],
                      order_event{x.id, state, stage_id::test, std::move(detail), now()}};
}

std::vector<int64_t> commit_ok(order_store& store, const journal_batch& batch) {
  auto seqs = store.commit(batch);
  REQUIRE_MESSAGE(seqs, describe(seqs.error()));
  return *seqs;
}

std::string order_state_of(SQLite::Database& db, const std::string& id) {
  SQLite::Statement q(db, "SELECT state FROM orders WHERE id = ?");
  q.bind(1, id);
  REQUIRE(q.executeStep());
  return q.getColumn(0).getString();
}

// Runs `fn` in a child process without root's right to write read-only files; returns its exit
// code.
int run_unprivileged(const std::function<int()>& fn) {
  auto pid = ::fork();
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
      ::_exit(100);
    ::_exit(fn());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

}  // namespace

// The contract both backends keep is in order_store_test; what follows is SQLite's own.

TEST_CASE_FIXTURE(fixture, "the journal file runs in WAL mode") {
  open();
  auto db = read();
  CHECK(query_strings(db, "PRAGMA journal_mode") == std::vector<std::string>{"wal"});
}

TEST_CASE_FIXTURE(fixture, "a version 1 journal gains the outbox and keeps its orders") {
  {
    auto store = open();
    journal_batch batch;
    batch.new_orders = {new_order("mouse", 1, "eu")};
    commit_ok(*store, batch);
  }
  {
    SQLite::Database db{path, SQLite::OPEN_READWRITE};
    db.exec(
      "DROP TABLE outbox; DELETE FROM schema_version; "
      "INSERT INTO schema_version(version, applied_at) VALUES(1, 0)");
  }
  auto store = open();
  auto db = read();
  CHECK(query_int(db, "SELECT MAX(version) FROM schema_version") == sqlite_schema_version);
  CHECK(query_int(db, "SELECT COUNT(*) FROM orders") == 1);
  journal_batch batch;
  batch.outbox = {outbox_message{0, "orders", "eu", "m-1", "{}", 7},
                  outbox_message{0, "order-results", "us", "m-2", "{}", 8}};
  commit_ok(*store, batch);
  auto page = store->outbox(0, 1);
  REQUIRE(page);
  REQUIRE(page->messages.size() == 1);
  CHECK(page->messages[0].message_id == "m-1");
  CHECK(page->backlog == 2);
  CHECK(page->oldest == 7);
  journal_batch published;
  published.published = {page->messages[0].seq};
  commit_ok(*store, published);
  auto rest = store->outbox(0, 10);
  REQUIRE(rest);
  REQUIRE(rest->messages.size() == 1);
  CHECK(rest->messages[0].routing_key == "us");
  CHECK(rest->backlog == 1);
}

TEST_CASE("a path in a directory that does not exist is an error") {
  temp_dir dir;
  auto path = dir.file("missing/sub/journal.db");
  auto store = open_sqlite_store({path, false, 1000});
  REQUIRE_FALSE(store);
  auto text = describe(store.error());
  CHECK(text.find("store_failure") != std::string::npos);
  CHECK(text.find(path) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "missing"));
}

TEST_CASE("a read-only file is an error") {
  temp_dir dir;
  std::filesystem::permissions(
    dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read
                  | std::filesystem::perms::group_exec | std::filesystem::perms::others_read
                  | std::filesystem::perms::others_exec);
  auto opens_with_error = [](const std::string& path) {
    return run_unprivileged([&] {
      auto store = open_sqlite_store({path, false, 1000});
      if (store)
        return 1;
      auto text = describe(store.error());
      return text.find("store_failure") != std::string::npos
                 && text.find("readonly") != std::string::npos
               ? 0
               : 2;
    });
  };
  SUBCASE("an empty file") {
    auto path = dir.write("empty.db", "");
    ::chmod(path.c_str(), 0444);
    CHECK(opens_with_error(path) == 0);
  }
  SUBCASE("an existing journal") {
    auto path = dir.file("journal.db");
    {
      auto store = open_sqlite_store({path, false, 1000});
      REQUIRE(store);
    }
    ::chmod(path.c_str(), 0444);
    CHECK(opens_with_error(path) == 0);
  }
}

TEST_CASE("a file that is not a database is an error") {
  temp_dir dir;
  auto path = dir.write("junk.db", std::string(4096, 'x'));
  auto store = open_sqlite_store({path, false, 1000});
  REQUIRE_FALSE(store);
  CHECK(describe(store.error()).find("store_failure") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a locked database fails the commit, and the same batch commits later") {
  auto store = open(100);
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  auto a = new_order("mouse", 3, "eu");
  auto b = new_order("dock", 5, "us");
  journal_batch batch;
  batch.new_orders = {a, b};
  batch.errors = {error_report{a.id, stage_id::test, error_type::storage, "locked", 1}};
  auto started = std::chrono::steady_clock::now();
  auto failed = store->commit(batch);
  auto waited = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(failed);
  auto text = describe(failed.error());
  CHECK(text.find("store_failure") != std::string::npos);
  CHECK(text.find("locked") != std::string::npos);
  CHECK(waited >= 90ms);
  CHECK(waited < 3s);
  REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  {
    auto db = read();
    CHECK(query_int(db, "SELECT COUNT(*) FROM orders") == 0);
    CHECK(query_int(db, "SELECT COUNT(*) FROM errors") == 0);
  }
  auto seqs = commit_ok(*store, batch);
  REQUIRE(seqs.size() == 2);
  CHECK(seqs[0] > 0);
  CHECK(seqs[1] > 0);
  auto db = read();
  CHECK(query_int(db, "SELECT COUNT(*) FROM orders") == 2);
  CHECK(query_int(db, "SELECT COUNT(*) FROM order_events") == 2);
  CHECK(query_int(db, "SELECT COUNT(*) FROM errors") == 1);
  journal_batch changes;
  changes.changes = {change(seqs[0], a, order_state::validated)};
  commit_ok(*store, changes);
  CHECK(order_state_of(db, a.id) == "validated");
}

TEST_CASE_FIXTURE(fixture, "the WAL stays near its limit under a steady stream of commits") {
  constexpr int64_t limit = int64_t{1} << 20;
  auto opened = open_sqlite_store({path, false, 5000, limit});
  REQUIRE_MESSAGE(opened, describe(opened.error()));
  auto& store = **opened;
  std::uintmax_t largest = 0;
  for (int i = 0; i < 600; ++i) {
    journal_batch batch;
    for (int j = 0; j < 50; ++j)
      batch.new_orders.push_back(new_order("mouse", j, "eu"));
    commit_ok(store, batch);
    largest = std::max(largest, std::filesystem::file_size(path + "-wal"));
  }
  auto db = read();
  CHECK(query_int(db, "SELECT COUNT(*) FROM orders") == 30000);
  CHECK(std::filesystem::file_size(path) > static_cast<std::uintmax_t>(4 * limit));
  CHECK(largest < static_cast<std::uintmax_t>(2 * limit));
}

TEST_CASE_FIXTURE(fixture, "the background checkpointer copies the WAL below its limit") {
  auto store = open();
  auto empty = std::filesystem::file_size(path);
  journal_batch batch;
  for (int j = 0; j < 2000; ++j)
    batch.new_orders.push_back(new_order("mouse", j, "eu"));
  commit_ok(*store, batch);
  // The writer copies nothing itself below the 64 MiB limit: only the background pass grows
  // the database file. Its first pass may copy just the schema's frames (CI saw 64 KiB), so
  // wait for the orders' pages, not for any growth.
  auto grown = [&] {
    return std::filesystem::file_size(path) > empty + 100 * 1024;
  };
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!grown() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  CHECK(grown());
}

TEST_CASE_FIXTURE(fixture, "a reader on an old snapshot holds the WAL only until it ends") {
  constexpr int64_t limit = int64_t{1} << 20;
  auto opened = open_sqlite_store({path, false, 5000, limit});
  REQUIRE_MESSAGE(opened, describe(opened.error()));
  auto& store = **opened;
  auto commit_orders = [&](int batches) {
    for (int i = 0; i < batches; ++i) {
      journal_batch batch;
      for (int j = 0; j < 50; ++j)
        batch.new_orders.push_back(new_order("mouse", j, "eu"));
      commit_ok(store, batch);
    }
  };
  commit_orders(10);
  sqlite3* reader = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_exec(reader, "BEGIN; SELECT COUNT(*) FROM orders;", nullptr, nullptr, nullptr)
          == SQLITE_OK);
  commit_orders(300);
  auto held = std::filesystem::file_size(path + "-wal");
  CHECK(held > static_cast<std::uintmax_t>(2 * limit));
  REQUIRE(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(reader);
  commit_orders(300);
  CHECK(std::filesystem::file_size(path + "-wal") < static_cast<std::uintmax_t>(2 * limit));
  auto db = read();
  CHECK(query_int(db, "SELECT COUNT(*) FROM orders") == 30500);
}

// The tables of schema 2 that schema 3 changed: events with state and stage as text.
constexpr const char* schema_2_events = R"sql(
DROP TRIGGER order_events_insert; DROP VIEW order_history; DROP VIEW order_events;
DROP TABLE event_log; DROP TABLE state_names; DROP TABLE stage_names;
CREATE TABLE order_events(order_seq INTEGER NOT NULL, state TEXT NOT NULL, stage TEXT NOT NULL,
                          detail TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX order_events_by_order ON order_events(order_seq);
CREATE VIEW order_history AS SELECT o.id AS order_id, e.state, e.stage, e.detail, e.at
  FROM order_events e JOIN orders o ON o.seq = e.order_seq;
DELETE FROM schema_version; INSERT INTO schema_version(version, applied_at) VALUES(2, 0);
)sql";

TEST_CASE_FIXTURE(fixture, "a version 2 journal keeps its history as codes, in order") {
  auto a = new_order("lamp", 1, "eu");
  auto b = new_order("desk", 2, "us");
  {
    auto store = open();
    journal_batch batch;
    batch.new_orders = {a, b};
    commit_ok(*store, batch);
  }
  {
    SQLite::Database db{path, SQLite::OPEN_READWRITE};
    db.exec(schema_2_events);
    // Stage "recovery" is a name no stage has any more; b is left unfinished at `processing`.
    db.exec(
      "INSERT INTO order_events VALUES"
      "(1, 'received', 'intake', '', 10), (2, 'received', 'intake', '', 11),"
      "(1, 'validated', 'validator', '', 12), (2, 'validated', 'validator', '', 13),"
      "(1, 'completed', 'shipper', 'tracking T', 14),"
      "(2, 'processing', 'recovery', 'resumed', 15)");
    db.exec("UPDATE orders SET state = 'completed' WHERE seq = 1");
    db.exec("UPDATE orders SET state = 'processing' WHERE seq = 2");
  }
  auto store = open();
  {
    auto db = read();
    CHECK(query_int(db, "SELECT MAX(version) FROM schema_version") == sqlite_schema_version);
    CHECK(query_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'order_events_v2'") == 0);
    CHECK(query_strings(db,
                        "SELECT state || '/' || stage || '/' || n FROM order_events "
                        "WHERE order_seq = 2 ORDER BY n")
          == std::vector<std::string>{"received/intake/0", "validated/validator/1",
                                      "processing/recovery/2"});
    CHECK(query_strings(
            db, "SELECT detail FROM order_history WHERE order_id = '" + a.id + "' ORDER BY at")
          == std::vector<std::string>{"", "", "tracking T"});
    CHECK(query_int(db, "SELECT code FROM stage_names WHERE name = 'recovery'") >= 1000);
  }
  auto left = store->unfinished();
  REQUIRE(left);
  REQUIRE(left->size() == 1);
  CHECK(left->front().item.item.id == b.id);
  CHECK(left->front().next_event == 3);
  journal_batch more;
  more.changes.push_back(state_change{
    left->front().seq, 3, order_event{b.id, order_state::processed, stage_id::processor, "", 16}});
  commit_ok(*store, more);
  auto db = read();
  CHECK(query_strings(db, "SELECT state FROM order_events WHERE order_seq = 2 ORDER BY n")
        == std::vector<std::string>{"received", "validated", "processing", "processed"});
}
