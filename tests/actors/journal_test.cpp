#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "actors/failures_writer.hpp"
#include "actors/journal.hpp"
#include "probes.hpp"
#include "tests/support/journal_view.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"
#include "runtime/store/sqlite_store.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace fs = std::filesystem;

namespace {

using ordernode::test::temp_dir;

struct journal_fixture : fixture {
  journal_fixture() : db_path((dir.path() / "journal.db").string()) {}

  journal_with_outbox_actor start(int32_t max_batch = 4096, outbox_options outbox = {},
                                  int busy_timeout = 5000) {
    sqlite_options options;
    options.path = db_path;
    options.busy_timeout_ms = busy_timeout;
    auto store = open_sqlite_store(options);
    REQUIRE(static_cast<bool>(store));
    std::shared_ptr<order_store> shared{std::move(*store)};
    return track(sys.spawn<caf::detached>(journal, shared, max_batch, nullptr, std::move(outbox)));
  }

  void flush(const journal_actor& uut) {
    CHECK(ask<bool>(uut, flush_atom::value));
  }

  // Read through a connection of its own, as another process would: it waits out a journal
  // connection that closes (and checkpoints) as the node's own readers do.
  static constexpr int busy_timeout_ms = 5000;
  std::optional<std::string> state_in_db(const std::string& id) {
    SQLite::Database db{db_path, SQLite::OPEN_READONLY, busy_timeout_ms};
    SQLite::Statement q{db, "SELECT state FROM orders WHERE id = ?"};
    q.bind(1, id);
    if (!q.executeStep())
      return std::nullopt;
    return q.getColumn(0).getString();
  }

  std::vector<std::string> events_in_db(const std::string& id) {
    SQLite::Database db{db_path, SQLite::OPEN_READONLY, busy_timeout_ms};
    SQLite::Statement q{db,
                        "SELECT e.state FROM order_events e JOIN orders o ON o.seq = e.order_seq "
                        "WHERE o.id = ? ORDER BY e.rowid"};
    q.bind(1, id);
    std::vector<std::string> result;
    while (q.executeStep())
      result.push_back(q.getColumn(0).getString());
    return result;
  }

  int64_t count_in_db(const std::string& sql) {
    SQLite::Database db{db_path, SQLite::OPEN_READONLY, busy_timeout_ms};
    return db.execAndGet(sql).getInt64();
  }

  void move(const journal_actor& uut, const std::string& id, std::vector<order_state> states) {
    for (auto state : states)
      self->send(uut, order_event{id, state, stage_id::test, "to " + to_string(state), now()});
  }

  temp_dir dir;
  std::string db_path;
};

using s = order_state;

}  // namespace

TEST_CASE_FIXTURE(journal_fixture, "an append is answered only once its row is committed") {
  auto uut = start(8);
  std::vector<order> xs;
  for (int i = 0; i < 40; ++i)
    xs.push_back(make_order("order-" + std::to_string(i), "mouse", i));
  using handle_type = decltype(self->request(uut, default_timeout, append_atom::value, xs[0]));
  std::vector<handle_type> pending;
  for (auto& x : xs)
    pending.push_back(self->request(uut, default_timeout, append_atom::value, x));
  for (size_t i = 0; i < xs.size(); ++i) {
    CAPTURE(xs[i].id);
    std::optional<admission> answer;
    std::optional<std::string> state;
    pending[i].receive(
      [&](admission x) {
        answer = x;
        state = state_in_db(xs[i].id);
      },
      [&](caf::error& err) { FAIL_CHECK(describe(err)); });
    CHECK(answer == admission::accepted);
    CHECK(state == "received");
  }
  CHECK(count_in_db("SELECT COUNT(*) FROM orders") == 40);
  CHECK(count_in_db("SELECT COUNT(*) FROM order_events WHERE state = 'received'") == 40);
  CHECK(count_in_db("SELECT SUM(quantity) FROM orders") == 780);
}

TEST_CASE_FIXTURE(journal_fixture, "state changes are committed in order") {
  auto uut = start();
  REQUIRE(ask<admission>(uut, append_atom::value, make_order("a")) == admission::accepted);
  move(uut, "a", {s::validated, s::processing, s::processing, s::processed, s::shipping});
  flush(uut);
  CHECK(state_in_db("a") == "shipping");
  CHECK(events_in_db("a")
        == std::vector<std::string>{"received", "validated", "processing", "processing",
                                    "processed", "shipping"});
}

TEST_CASE_FIXTURE(journal_fixture, "a known id is answered duplicate") {
  auto uut = start();
  auto x = make_order("dup");
  REQUIRE(ask<admission>(uut, append_atom::value, x) == admission::accepted);
  CHECK(ask<admission>(uut, append_atom::value, x) == admission::duplicate);
  SUBCASE("also once the order is finished") {
    move(uut, "dup", {s::validated, s::processing, s::processed, s::shipping, s::completed});
    flush(uut);
    REQUIRE(state_in_db("dup") == "completed");
    CHECK(ask<admission>(uut, append_atom::value, x) == admission::duplicate);
  }
  CHECK(count_in_db("SELECT COUNT(*) FROM orders WHERE id = 'dup'") == 1);
  CHECK(count_in_db("SELECT COUNT(*) FROM order_events WHERE state = 'received'") == 1);
}

TEST_CASE_FIXTURE(journal_fixture, "illegal moves and unknown orders are ignored") {
  auto uut = start();
  REQUIRE(ask<admission>(uut, append_atom::value, make_order("b")) == admission::accepted);
  move(uut, "b", {s::processed, s::completed, s::shipping});
  move(uut, "ghost", {s::validated});
  flush(uut);
  CHECK(state_in_db("b") == "received");
  CHECK(events_in_db("b") == std::vector<std::string>{"received"});
  CHECK_FALSE(state_in_db("ghost").has_value());
  CHECK(count_in_db("SELECT COUNT(*) FROM order_events") == 1);
  move(uut, "b", {s::rejected});
  flush(uut);
  CHECK(state_in_db("b") == "rejected");
  move(uut, "b", {s::failed, s::validated});
  flush(uut);
  CHECK(state_in_db("b") == "rejected");
  CHECK(events_in_db("b") == std::vector<std::string>{"received", "rejected"});
}

TEST_CASE_FIXTURE(journal_fixture, "final states are published to subscribers after the commit") {
  auto uut = start();
  auto listener = spawn(listener_probe, sink());
  auto initial = ask<totals>(uut, subscribe_atom::value, listener);
  CHECK(initial.all == region_totals{});
  auto c = make_order("c", "webcam", 3, "us");
  auto d = make_order("d", "", 1, "eu");
  REQUIRE(ask<admission>(uut, append_atom::value, c) == admission::accepted);
  REQUIRE(ask<admission>(uut, append_atom::value, d) == admission::accepted);
  move(uut, "c", {s::validated, s::processing});
  flush(uut);
  expect_quiet("listener", 50ms);
  move(uut, "c", {s::processed, s::shipping, s::completed});
  move(uut, "d", {s::rejected});
  std::map<std::string, finished_order> seen;
  while (seen.size() < 2) {
    auto batch = std::get<1>(expect<finished_atom, std::vector<finished_order>>("listener"));
    for (auto& x : batch) {
      CHECK(state_in_db(x.item.id) == to_string(x.state));
      seen.emplace(x.item.id, x);
    }
  }
  CHECK(seen.size() == 2);
  CHECK(seen["c"].state == s::completed);
  CHECK(seen["c"].detail == "to completed");
  CHECK(seen["c"].item.product_name == "webcam");
  CHECK(seen["c"].item.quantity == 3);
  CHECK(seen["c"].item.region == "us");
  CHECK(seen["d"].state == s::rejected);
  auto x = ask<totals>(uut, totals_atom::value);
  CHECK(x.all == region_totals{1, 3, 0, 1});
  CHECK(x.by_region["us"] == region_totals{1, 3, 0, 0});
  CHECK(x.by_region["eu"] == region_totals{0, 0, 0, 1});
  move(uut, "c", {s::failed});
  flush(uut);
  expect_quiet("listener", 50ms);
}

TEST_CASE_FIXTURE(journal_fixture, "every committed change goes to change listeners, in batches") {
  auto uut = start();
  auto a = make_order("a", "dock", 4, "ap", true);
  REQUIRE(ask<admission>(uut, append_atom::value, a) == admission::accepted);
  move(uut, "a", {s::validated});
  flush(uut);
  auto changes = spawn(change_probe, sink());
  self->send(uut, subscribe_atom::value, change_listener{changes});
  auto b = make_order("b", "cable", 1, "eu");
  REQUIRE(ask<admission>(uut, append_atom::value, b) == admission::accepted);
  move(uut, "a", {s::processing, s::processed, s::shipping, s::completed});
  move(uut, "b", {s::rejected});
  std::vector<std::pair<std::string, order_state>> seen;
  while (seen.size() < 6) {
    auto batch = std::get<1>(expect<changed_atom, std::vector<order_change>>("changes"));
    CHECK_FALSE(batch.empty());
    for (auto& x : batch) {
      CHECK(state_in_db(x.event.order_id).has_value());
      seen.emplace_back(x.event.order_id, x.event.state);
      if (x.event.order_id == "a") {
        CHECK(x.product_name == "dock");
        CHECK(x.quantity == 4);
        CHECK(x.region == "ap");
        CHECK(x.vip);
      }
    }
  }
  std::vector<std::pair<std::string, order_state>> expected{
    {"b", s::received}, {"a", s::processing}, {"a", s::processed},
    {"a", s::shipping}, {"a", s::completed},  {"b", s::rejected}};
  std::sort(seen.begin(), seen.end());
  std::sort(expected.begin(), expected.end());
  CHECK(seen == expected);
  self->send(uut, unsubscribe_atom::value, change_listener{changes});
  flush(uut);
  auto c = make_order("c");
  REQUIRE(ask<admission>(uut, append_atom::value, c) == admission::accepted);
  move(uut, "c", {s::validated});
  flush(uut);
  expect_quiet("changes", 100ms);
}

TEST_CASE_FIXTURE(journal_fixture, "error reports are recorded") {
  auto uut = start();
  self->send(uut, error_report{"e1", stage_id::validator, error_type::validation,
                               "product name is empty", 5});
  self->send(uut, error_report{"", stage_id::journal, error_type::storage, "disk full", 6});
  flush(uut);
  CHECK(count_in_db("SELECT COUNT(*) FROM errors") == 2);
  CHECK(count_in_db("SELECT COUNT(*) FROM errors WHERE order_id = 'e1' AND stage = 'validator' "
                    "AND cause = 'product name is empty' AND at = 5")
        == 1);
}

TEST_CASE_FIXTURE(journal_fixture, "unfinished returns the orders found at start, once") {
  {
    auto first = start();
    for (auto& x : {make_order("e"), make_order("f", "dock", 1, "eu", true), make_order("g")})
      REQUIRE(ask<admission>(first, append_atom::value, x) == admission::accepted);
    move(first, "e", {s::validated, s::processing});
    move(first, "g", {s::validated, s::processing, s::processed, s::shipping, s::completed});
    flush(first);
    CHECK(ask<std::vector<stored_order>>(first, unfinished_atom::value).empty());
    caf::anon_send_exit(first, caf::exit_reason::user_shutdown);
    self->wait_for(first);
  }
  auto second = start();
  auto xs = ask<std::vector<stored_order>>(second, unfinished_atom::value);
  REQUIRE(xs.size() == 2);
  CHECK(xs[0].item.id == "f");
  CHECK(xs[0].item.vip);
  CHECK(xs[0].item.product_name == "dock");
  CHECK(xs[0].state == s::received);
  CHECK(xs[1].item.id == "e");
  CHECK(xs[1].state == s::processing);
  CHECK(ask<std::vector<stored_order>>(second, unfinished_atom::value).empty());
  CHECK(ask<admission>(second, append_atom::value, make_order("e")) == admission::duplicate);
  move(second, "e", {s::processing, s::processed});
  flush(second);
  CHECK(state_in_db("e") == "processed");
  auto x = ask<totals>(second, totals_atom::value);
  CHECK(x.all.completed == 1);
}

TEST_CASE_FIXTURE(journal_fixture, "an admit is answered with a note once committed") {
  auto uut = start();
  auto listener = spawn(admission_probe, sink());
  for (auto id : {"h1", "h2", "h3"})
    caf::send_as(listener, uut, admit_atom::value, make_order(id));
  std::vector<admission_note> notes;
  while (notes.size() < 3) {
    auto batch = std::get<1>(expect<admitted_atom, std::vector<admission_note>>("admissions"));
    for (auto& note : batch) {
      CHECK(state_in_db(note.order_id) == "received");
      notes.push_back(note);
    }
  }
  for (auto& note : notes)
    CHECK(note.outcome == admission::accepted);
  caf::send_as(listener, uut, admit_atom::value, make_order("h2"));
  auto again = std::get<1>(expect<admitted_atom, std::vector<admission_note>>("admissions"));
  REQUIRE(again.size() == 1);
  CHECK(again[0].order_id == "h2");
  CHECK(again[0].outcome == admission::duplicate);
}

TEST_CASE_FIXTURE(journal_fixture, "each committed failure is appended to the failures file") {
  auto file = dir.file("failures.jsonl");
  auto uut = start();
  auto opened = failures_file::open(file);
  REQUIRE(opened);
  auto writer = track(
    sys.spawn<caf::detached>(failures_writer, std::shared_ptr<failures_file>{std::move(*opened)}));
  REQUIRE(ask<totals>(uut, subscribe_atom::value, writer).all.completed == 0);
  for (auto id : {"f1", "f2", "ok"})
    REQUIRE(ask<admission>(uut, append_atom::value, make_order(id)) == admission::accepted);
  move(uut, "f1", {s::validated, s::processing, s::failed});
  move(uut, "f2", {s::validated, s::processing, s::processed, s::shipping, s::failed});
  move(uut, "ok", {s::validated, s::processing, s::processed, s::shipping, s::completed});
  flush(uut);
  // The writer appends after the commit, on a thread of its own.
  std::vector<nlohmann::json> lines;
  CHECK(wait_until([&] {
    lines.clear();
    std::ifstream in{file};
    for (std::string line; std::getline(in, line);)
      lines.push_back(nlohmann::json::parse(line));
    return lines.size() == 2;
  }));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["orderId"] == "f1");
  CHECK(lines[0]["cause"] == "to failed");
  CHECK(lines[1]["orderId"] == "f2");
  CHECK(lines[1]["at"].get<std::string>().back() == 'Z');
  CHECK(count_in_db("SELECT COUNT(*) FROM orders WHERE state = 'failed'") == 2);
}

TEST_CASE_FIXTURE(journal_fixture, "live answers the unfinished orders in given states") {
  auto uut = start();
  auto eu = make_order("l1");
  auto us = make_order("l2");
  us.region = "us";
  for (auto& x : {eu, us, make_order("l3")})
    REQUIRE(ask<admission>(uut, append_atom::value, x) == admission::accepted);
  move(uut, "l1", {s::validated});
  move(uut, "l2", {s::validated});
  move(uut, "l3", {s::validated, s::processing, s::processed, s::shipping, s::completed});
  CHECK(ask<uint64_t>(uut, live_atom::value) == 2);
  auto in_eu = ask<std::vector<stored_order>>(uut, live_atom::value,
                                              std::vector<order_state>{s::validated}, eu.region);
  REQUIRE(in_eu.size() == 1);
  CHECK(in_eu[0].item.id == "l1");
  CHECK(in_eu[0].state == s::validated);
  auto anywhere = ask<std::vector<stored_order>>(
    uut, live_atom::value, std::vector<order_state>{s::validated}, std::string{});
  CHECK(anywhere.size() == 2);
  auto received = ask<std::vector<stored_order>>(
    uut, live_atom::value, std::vector<order_state>{s::received}, std::string{});
  CHECK(received.empty());
}

TEST_CASE_FIXTURE(journal_fixture,
                  "forwarded orders and results wait in the outbox until published") {
  auto uut = start(4096, outbox_options{"orders", "results", "node-a"});
  auto listener = spawn(admission_probe, sink());
  for (auto id : {"f1", "f2"})
    caf::send_as(listener, uut, forward_atom::value, make_order(id, "mouse", 1));
  std::vector<admission_note> notes;
  while (notes.size() < 2) {
    auto batch = std::get<1>(expect<admitted_atom, std::vector<admission_note>>("admissions"));
    notes.insert(notes.end(), batch.begin(), batch.end());
  }
  for (auto& note : notes)
    CHECK(note.outcome == admission::forwarded);
  // A forwarded order is the broker's: not in this journal's orders until it comes back.
  CHECK_FALSE(state_in_db("f1"));
  CHECK(count_in_db("SELECT COUNT(*) FROM outbox") == 2);
  // A finished local order puts its result in the outbox in the commit that finishes it.
  REQUIRE(ask<admission>(uut, append_atom::value, make_order("l1", "mouse", 3))
          == admission::accepted);
  move(uut, "l1", {s::validated, s::processing, s::processed, s::completed});
  flush(uut);
  auto page = ask<outbox_page>(uut, outbox_atom::value, int64_t{0}, int32_t{2});
  REQUIRE(page.messages.size() == 2);
  CHECK(page.backlog == 3);
  CHECK(page.oldest > 0);
  CHECK(page.messages[0].exchange == "orders");
  CHECK(page.messages[0].routing_key == "eu");
  CHECK(page.messages[0].message_id == "f1");
  CHECK(page.messages[1].message_id == "f2");
  auto rest = ask<outbox_page>(uut, outbox_atom::value, page.messages[1].seq, int32_t{10});
  REQUIRE(rest.messages.size() == 1);
  CHECK(rest.messages[0].exchange == "results");
  CHECK(rest.messages[0].message_id == "l1");
  CHECK(rest.messages[0].payload.find("\"state\":\"completed\"") != std::string::npos);
  CHECK(rest.messages[0].payload.find("\"node\":\"node-a\"") != std::string::npos);
  self->send(uut, published_atom::value,
             std::vector<int64_t>{page.messages[0].seq, page.messages[1].seq});
  auto after = ask<outbox_page>(uut, outbox_atom::value, int64_t{0}, int32_t{10});
  CHECK(after.backlog == 1);
  REQUIRE(after.messages.size() == 1);
  CHECK(after.messages[0].message_id == "l1");
  CHECK(count_in_db("SELECT COUNT(*) FROM outbox") == 1);
}

TEST_CASE_FIXTURE(journal_fixture,
                  "while commits fail, new orders are refused and changes of accepted ones wait") {
  auto uut = start(4096, {}, 100);
  auto a = make_order("order-a", "mouse", 1);
  CHECK(ask<admission>(uut, append_atom::value, a) == admission::accepted);
  {
    // Another process holds the write lock for longer than the journal's busy timeout.
    SQLite::Database other{db_path, SQLite::OPEN_READWRITE, busy_timeout_ms};
    other.exec("BEGIN IMMEDIATE");
    move(uut, "order-a", {s::validated});
    auto refused = try_ask<admission>(uut, append_atom::value, make_order("order-b", "mouse", 1));
    REQUIRE_FALSE(refused);
    CHECK(describe(refused.error()).find("the journal cannot commit") != std::string::npos);
    // An admit from a listener gets a note that names the refusal, not an outcome.
    self->send(uut, admit_atom::value, make_order("order-c", "mouse", 1));
    std::optional<admission_note> note;
    self->receive([&](admitted_atom, std::vector<admission_note>& xs) {
      REQUIRE(xs.size() == 1);
      note = xs[0];
    });
    REQUIRE(note);
    CHECK(note->order_id == "order-c");
    CHECK(note->refused == refusal::journal_unavailable);
    other.exec("ROLLBACK");
  }
  // Once the lock is gone, the retry commits the change of the accepted order; the refused
  // orders are nowhere, and new orders are taken again.
  auto taken = [&] {
    auto r = try_ask<admission>(uut, append_atom::value, make_order("order-d", "mouse", 1));
    return r && *r == admission::accepted;
  };
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto accepted = taken();
  while (!accepted && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    accepted = taken();
  }
  CHECK(accepted);
  flush(uut);
  CHECK(state_in_db("order-a") == "validated");
  CHECK_FALSE(state_in_db("order-b"));
  CHECK_FALSE(state_in_db("order-c"));
  CHECK(state_in_db("order-d") == "received");
}
