// The order_store contract, run once per backend: SQLite and PostgreSQL.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "runtime/core/errors.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/store_backends.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

// Numbers each order's events after its `received` (0).
state_change change(int64_t seq, const order& x, order_state state, std::string detail = "") {
  static std::map<std::string, int32_t> next;
  return state_change{seq, ++next[x.id],
                      order_event{x.id, state, stage_id::test, std::move(detail), now()}};
}

std::vector<int64_t> commit_ok(order_store& store, const journal_batch& batch) {
  auto seqs = store.commit(batch);
  REQUIRE_MESSAGE(seqs, describe(seqs.error()));
  return *seqs;
}

template <class Backend>
std::vector<std::string> event_states(Backend& backend, int64_t seq) {
  return backend.sql_strings(
    "SELECT state FROM order_events WHERE order_seq = " + std::to_string(seq) + " ORDER BY n");
}

template <class Backend>
std::string state_of(Backend& backend, const std::string& id) {
  auto xs = backend.sql_strings("SELECT state FROM orders WHERE id = '" + id + "'");
  REQUIRE(xs.size() == 1);
  return xs[0];
}

}  // namespace

#define STORE_TEST(title) TEST_CASE_TEMPLATE(title, B, sqlite_backend, pg_backend)

STORE_TEST("opening creates the tables and views and records the schema version") {
  B backend;
  open_store(backend);
  for (std::string table : {"orders", "event_log", "errors", "failures", "outbox", "order_events",
                            "order_history", "failed_orders"}) {
    CAPTURE(table);
    CHECK(backend.sql_int("SELECT COUNT(*) FROM " + table) == 0);
  }
  CHECK(backend.sql_int("SELECT COUNT(*) FROM schema_version") == 1);
  CHECK(backend.sql_int("SELECT version FROM schema_version") == B::schema_version);
  CHECK(backend.sql_int("SELECT applied_at FROM schema_version") > 0);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM state_names")
        == static_cast<int>(last_order_state) + 1);
  CHECK(backend.sql_strings("SELECT name FROM stage_names WHERE code = 0")
        == std::vector<std::string>{to_string(static_cast<stage_id>(0))});
  // Opening again changes nothing.
  open_store(backend);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM schema_version") == 1);
}

STORE_TEST("commit inserts new orders with a received event") {
  B backend;
  auto store = open_store(backend);
  auto a = new_order("mouse", 3, "eu");
  auto b = new_order("dock \"quoted\" \\ back, {brace}", 5, "us", true, "o'hara");
  journal_batch batch;
  batch.new_orders = {a, b};
  auto seqs = commit_ok(*store, batch);
  REQUIRE(seqs.size() == 2);
  CHECK(seqs[0] > 0);
  CHECK(seqs[1] > seqs[0]);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM orders") == 2);
  auto where = " FROM orders WHERE id = '" + b.id + "'";
  CHECK(backend.sql_int("SELECT seq" + where) == seqs[1]);
  CHECK(backend.sql_strings("SELECT product_name" + where)
        == std::vector<std::string>{b.product_name});
  CHECK(backend.sql_int("SELECT quantity" + where) == 5);
  CHECK(backend.sql_strings("SELECT region" + where) == std::vector<std::string>{"us"});
  CHECK(backend.sql_strings("SELECT customer" + where) == std::vector<std::string>{"o'hara"});
  CHECK(backend.sql_int("SELECT CASE WHEN vip THEN 1 ELSE 0 END" + where) == 1);
  CHECK(backend.sql_int("SELECT created_at" + where) == b.created_at);
  CHECK(state_of(backend, b.id) == "received");
  for (auto seq : seqs) {
    CHECK(event_states(backend, seq) == std::vector<std::string>{"received"});
    CHECK(backend.sql_int("SELECT COUNT(*) FROM order_events WHERE stage = 'intake' AND n = 0 "
                          "AND order_seq = "
                          + std::to_string(seq))
          == 1);
  }
}

STORE_TEST("a duplicate id gets sequence number 0 and changes nothing") {
  B backend;
  auto store = open_store(backend);
  auto a = new_order("mouse", 3, "eu");
  journal_batch first;
  first.new_orders = {a};
  auto seqs = commit_ok(*store, first);
  REQUIRE(seqs.size() == 1);
  auto c = new_order("cable", 1, "eu");
  auto again = a;
  again.quantity = 99;
  journal_batch second;
  second.new_orders = {c, again};
  auto seqs2 = commit_ok(*store, second);
  REQUIRE(seqs2.size() == 2);
  CHECK(seqs2[0] > seqs[0]);
  CHECK(seqs2[1] == 0);
  journal_batch same_batch;
  auto d = new_order("webcam", 2, "us");
  same_batch.new_orders = {d, d};
  auto seqs3 = commit_ok(*store, same_batch);
  REQUIRE(seqs3.size() == 2);
  CHECK(seqs3[0] > 0);
  CHECK(seqs3[1] == 0);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM orders") == 3);
  CHECK(backend.sql_int("SELECT quantity FROM orders WHERE seq = " + std::to_string(seqs[0])) == 3);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM order_events") == 3);
}

STORE_TEST("state changes update the order once and append every event") {
  B backend;
  auto store = open_store(backend);
  auto a = new_order("mouse", 3, "eu");
  auto b = new_order("dock", 5, "us");
  journal_batch batch;
  batch.new_orders = {a, b};
  auto seqs = commit_ok(*store, batch);
  journal_batch changes;
  changes.changes = {change(seqs[0], a, order_state::validated),
                     change(seqs[1], b, order_state::validated),
                     change(seqs[0], a, order_state::processing),
                     change(seqs[0], a, order_state::processed, "Order done")};
  commit_ok(*store, changes);
  CHECK(state_of(backend, a.id) == "processed");
  CHECK(state_of(backend, b.id) == "validated");
  CHECK(backend.sql_strings("SELECT detail FROM orders WHERE seq = " + std::to_string(seqs[0]))
        == std::vector<std::string>{"Order done"});
  CHECK(event_states(backend, seqs[0])
        == std::vector<std::string>{"received", "validated", "processing", "processed"});
  CHECK(event_states(backend, seqs[1]) == std::vector<std::string>{"received", "validated"});
  CHECK(backend.sql_int("SELECT COUNT(*) FROM order_history WHERE order_id = '" + a.id
                        + "' AND stage = 'test'")
        == 3);
  auto unfinished = store->unfinished();
  REQUIRE(unfinished);
  REQUIRE(unfinished->size() == 2);
  CHECK((*unfinished)[0].next_event == 4);
  CHECK((*unfinished)[1].next_event == 2);
}

STORE_TEST("a failed order is in the failures and the failed_orders view") {
  B backend;
  auto store = open_store(backend);
  auto a = new_order("mouse", 3, "eu");
  journal_batch batch;
  batch.new_orders = {a};
  auto seq = commit_ok(*store, batch).at(0);
  journal_batch changes;
  changes.changes = {change(seq, a, order_state::failed, "carrier down")};
  commit_ok(*store, changes);
  CHECK(backend.sql_strings("SELECT cause FROM failed_orders WHERE order_id = '" + a.id + "'")
        == std::vector<std::string>{"carrier down"});
  CHECK(backend.sql_strings("SELECT stage FROM failures") == std::vector<std::string>{"test"});
}

STORE_TEST("error reports go to the errors table") {
  B backend;
  auto store = open_store(backend);
  journal_batch batch;
  batch.errors = {
    error_report{"id-1", stage_id::validator, error_type::validation, "product name is empty", 10},
    error_report{"", stage_id::journal, error_type::storage, "disk I/O error", 11}};
  commit_ok(*store, batch);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM errors") == 2);
  CHECK(backend.sql_strings("SELECT order_id || '|' || stage || '|' || type || '|' || cause || "
                            "'|' || at FROM errors ORDER BY id")
        == std::vector<std::string>{"id-1|validator|validation|product name is empty|10",
                                    "|journal|storage|disk I/O error|11"});
}

STORE_TEST("unfinished returns the orders not in a final state, VIP first") {
  B backend;
  auto store = open_store(backend);
  auto n1 = new_order("mouse", 1, "eu");
  auto v1 = new_order("dock", 2, "us", true);
  auto n2 = new_order("cable", 3, "eu");
  auto done = new_order("webcam", 4, "eu", true);
  auto bad = new_order("", 5, "eu");
  auto v2 = new_order("laptop", 6, "ap", true);
  journal_batch batch;
  batch.new_orders = {n1, v1, n2, done, bad, v2};
  auto seqs = commit_ok(*store, batch);
  journal_batch changes;
  changes.changes = {
    change(seqs[2], n2, order_state::validated),   change(seqs[2], n2, order_state::processing),
    change(seqs[3], done, order_state::validated), change(seqs[3], done, order_state::processing),
    change(seqs[3], done, order_state::processed), change(seqs[3], done, order_state::completed),
    change(seqs[4], bad, order_state::rejected)};
  commit_ok(*store, changes);
  auto result = store->unfinished();
  REQUIRE_MESSAGE(result, describe(result.error()));
  std::vector<std::string> ids;
  for (auto& x : *result)
    ids.push_back(x.item.item.id);
  CHECK(ids == std::vector<std::string>{v1.id, v2.id, n1.id, n2.id});
  REQUIRE(result->size() == 4);
  auto& first = (*result)[0];
  CHECK(first.seq == seqs[1]);
  CHECK(first.item.state == order_state::received);
  CHECK(first.item.item.product_name == "dock");
  CHECK(first.item.item.quantity == 2);
  CHECK(first.item.item.region == "us");
  CHECK(first.item.item.customer == "alice");
  CHECK(first.item.item.vip);
  CHECK(first.item.item.created_at == v1.created_at);
  CHECK((*result)[3].item.state == order_state::processing);
  CHECK_FALSE((*result)[3].item.item.vip);
  REQUIRE(!store->count_recovery({seqs[0], seqs[2]}));
  REQUIRE(!store->count_recovery({seqs[0]}));
  auto again = store->unfinished();
  REQUIRE(again);
  CHECK((*again)[2].item.recoveries == 2);
  CHECK((*again)[3].item.recoveries == 1);
  CHECK((*again)[0].item.recoveries == 0);
}

STORE_TEST("finished_totals sums the finished orders overall and per region") {
  B backend;
  auto store = open_store(backend);
  auto c1 = new_order("mouse", 3, "eu");
  auto c2 = new_order("dock", 5, "eu");
  auto c3 = new_order("cable", 7, "us");
  auto f1 = new_order("webcam", 11, "us");
  auto r1 = new_order("", 13, "mars");
  auto open_order = new_order("laptop", 17, "eu");
  journal_batch batch;
  batch.new_orders = {c1, c2, c3, f1, r1, open_order};
  auto seqs = commit_ok(*store, batch);
  journal_batch changes;
  changes.changes = {change(seqs[0], c1, order_state::completed),
                     change(seqs[1], c2, order_state::completed),
                     change(seqs[2], c3, order_state::completed),
                     change(seqs[3], f1, order_state::failed),
                     change(seqs[4], r1, order_state::rejected),
                     change(seqs[5], open_order, order_state::validated)};
  commit_ok(*store, changes);
  auto result = store->finished_totals();
  REQUIRE_MESSAGE(result, describe(result.error()));
  CHECK(result->all == region_totals{3, 15, 1, 1});
  CHECK(result->by_region.size() == 3);
  CHECK(result->by_region["eu"] == region_totals{2, 8, 0, 0});
  CHECK(result->by_region["us"] == region_totals{1, 7, 1, 0});
  CHECK(result->by_region["mars"] == region_totals{0, 0, 0, 1});
}

STORE_TEST("reopening keeps everything") {
  B backend;
  auto a = new_order("mouse", 3, "eu");
  auto b = new_order("dock", 5, "us");
  int64_t seq_a = 0;
  {
    auto store = open_store(backend);
    journal_batch batch;
    batch.new_orders = {a, b};
    batch.errors = {error_report{a.id, stage_id::processor, error_type::processing, "boom", 1}};
    auto seqs = commit_ok(*store, batch);
    seq_a = seqs[0];
    journal_batch changes;
    changes.changes = {change(seqs[0], a, order_state::failed, "processing: boom"),
                       change(seqs[1], b, order_state::validated)};
    commit_ok(*store, changes);
  }
  auto store = open_store(backend);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM schema_version") == 1);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM orders") == 2);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM order_events") == 4);
  CHECK(backend.sql_int("SELECT COUNT(*) FROM errors") == 1);
  CHECK(state_of(backend, a.id) == "failed");
  auto unfinished = store->unfinished();
  REQUIRE(unfinished);
  REQUIRE(unfinished->size() == 1);
  CHECK((*unfinished)[0].item.item.id == b.id);
  CHECK((*unfinished)[0].item.state == order_state::validated);
  auto totals = store->finished_totals();
  REQUIRE(totals);
  CHECK(totals->all == region_totals{0, 0, 1, 0});
  journal_batch dup;
  dup.new_orders = {a};
  CHECK(commit_ok(*store, dup) == std::vector<int64_t>{0});
  auto c = new_order("cable", 1, "eu");
  journal_batch more;
  more.new_orders = {c};
  auto seqs = commit_ok(*store, more);
  REQUIRE(seqs.size() == 1);
  CHECK(seqs[0] > seq_a);
}

STORE_TEST("the outbox pages oldest first and counts the rows left, across reopening") {
  B backend;
  {
    auto store = open_store(backend);
    journal_batch batch;
    for (int i = 0; i < 5; ++i)
      batch.outbox.push_back(outbox_message{0, "orders", "eu", "m-" + std::to_string(i), "{}",
                                            static_cast<timestamp>(10 + i)});
    commit_ok(*store, batch);
    auto page = store->outbox(0, 2);
    REQUIRE(page);
    REQUIRE(page->messages.size() == 2);
    CHECK(page->messages[0].message_id == "m-0");
    CHECK(page->messages[0].exchange == "orders");
    CHECK(page->messages[0].routing_key == "eu");
    CHECK(page->messages[0].payload == "{}");
    CHECK(page->backlog == 5);
    CHECK(page->oldest == 10);
    journal_batch published;
    published.published = {page->messages[0].seq, page->messages[1].seq, 999999};
    commit_ok(*store, published);
    commit_ok(*store, published);
    auto rest = store->outbox(page->messages[1].seq, 10);
    REQUIRE(rest);
    CHECK(rest->messages.size() == 3);
    CHECK(rest->backlog == 3);
    CHECK(rest->oldest == 12);
  }
  auto store = open_store(backend);
  auto page = store->outbox(0, 10);
  REQUIRE(page);
  CHECK(page->backlog == 3);
  journal_batch published;
  for (auto& x : page->messages)
    published.published.push_back(x.seq);
  commit_ok(*store, published);
  auto empty = store->outbox(0, 10);
  REQUIRE(empty);
  CHECK(empty->messages.empty());
  CHECK(empty->backlog == 0);
  CHECK(empty->oldest == 0);
}

STORE_TEST("replaying dead letters moves them back to received with a replay event") {
  B backend;
  auto store = open_store(backend);
  auto a = new_order("mouse", 3, "eu");
  auto b = new_order("dock", 5, "us");
  journal_batch batch;
  batch.new_orders = {a, b};
  auto seqs = commit_ok(*store, batch);
  journal_batch changes;
  changes.changes = {change(seqs[0], a, order_state::dead_letter, "gave up"),
                     change(seqs[1], b, order_state::completed)};
  commit_ok(*store, changes);
  REQUIRE(!store->count_recovery({seqs[0]}));
  auto moved = store->replay_dead_letters();
  REQUIRE_MESSAGE(moved, describe(moved.error()));
  CHECK(*moved == 1);
  CHECK(event_states(backend, seqs[0])
        == std::vector<std::string>{"received", "dead_letter", "received"});
  CHECK(backend.sql_strings("SELECT stage FROM order_events WHERE n = 2")
        == std::vector<std::string>{"replay"});
  auto unfinished = store->unfinished();
  REQUIRE(unfinished);
  REQUIRE(unfinished->size() == 1);
  CHECK((*unfinished)[0].item.item.id == a.id);
  CHECK((*unfinished)[0].item.recoveries == 0);
  CHECK((*unfinished)[0].next_event == 3);
  auto none = store->replay_dead_letters();
  REQUIRE(none);
  CHECK(*none == 0);
}

STORE_TEST("SQL users insert events by name through the order_events view") {
  B backend;
  auto a = new_order("lamp", 1, "eu");
  auto store = open_store(backend);
  journal_batch batch;
  batch.new_orders = {a};
  auto seq = std::to_string(commit_ok(*store, batch).at(0));
  backend.sql("INSERT INTO order_events(order_seq, state, stage, detail, at) VALUES(" + seq
              + ", 'validated', 'validator', 'by hand', 5)");
  CHECK(backend.sql_strings("SELECT state || '/' || n FROM order_events WHERE order_seq = " + seq
                            + " ORDER BY n")
        == std::vector<std::string>{"received/0", "validated/1"});
  CHECK_THROWS(backend.sql("INSERT INTO order_events(order_seq, state, stage, detail, at) VALUES("
                           + seq + ", 'no-such-state', 'validator', '', 6)"));
}

STORE_TEST("a newer schema version is refused") {
  B backend;
  open_store(backend);
  backend.sql("INSERT INTO schema_version(version, applied_at) VALUES("
              + std::to_string(B::schema_version + 1) + ", 0)");
  auto store = backend.try_open();
  REQUIRE_FALSE(store);
  CHECK(describe(store.error()).find("newer") != std::string::npos);
}
