// Several nodes on one PostgreSQL journal: membership, takeover of a down node's orders, and the
// fence that keeps a node from writing for orders it lost.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <unistd.h>

#include <string>
#include <vector>

#include "runtime/core/errors.hpp"
#include "runtime/store/membership.hpp"
#include "runtime/store/pg_store.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/pg_database.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

const std::vector<std::string> all_regions{"eu", "us", "ap"};

std::unique_ptr<order_store> store_of(const pg_database& db, const std::string& node) {
  pg_options options;
  options.url = db.url();
  options.node = node;
  options.cluster = true;
  auto result = open_pg_store(options);
  REQUIRE_MESSAGE(result, describe(result.error()));
  return std::move(*result);
}

std::unique_ptr<membership> member_of(const pg_database& db) {
  auto result = open_pg_membership(db.url(), std::chrono::seconds{10});
  REQUIRE_MESSAGE(result, describe(result.error()));
  return std::move(*result);
}

node_info info(const std::string& id, const std::string& host, int32_t pid) {
  node_info result;
  result.id = id;
  result.regions = all_regions;
  result.version = "test";
  result.host = host;
  result.pid = pid;
  return result;
}

int64_t sql_int(const pg_database& db, const std::string& sql) {
  auto rows = pg_connect(db.url())->query(sql);
  REQUIRE_MESSAGE(rows, describe(rows.error()));
  REQUIRE(rows->size() == 1);
  return rows->int64(0, 0);
}

bool taken(const caf::error& err) {
  return err.category() == caf::atom("ordernode")
         && err.code() == static_cast<uint8_t>(errc::node_id_taken);
}

constexpr caf::timespan lease = std::chrono::seconds(10);

// A pid no process of this host has.
int32_t dead_pid() {
  return 4194000;
}

}  // namespace

TEST_CASE("a down node's unfinished orders move to one taker with a new epoch and an event") {
  pg_database db;
  auto a = store_of(db, "a");
  auto b = store_of(db, "b");
  journal_batch batch;
  auto vip = new_order("mouse", 1, "eu");
  vip.vip = true;
  batch.new_orders = {new_order("desk", 2, "eu"), vip, new_order("lamp", 1, "ap")};
  auto seqs = a->commit(batch);
  REQUIRE(seqs);
  // "a" has no row in `nodes`: a node nobody knows is down.
  auto moved = b->take_over("a", {"eu"}, lease);
  REQUIRE_MESSAGE(moved, describe(moved.error()));
  REQUIRE(moved->size() == 2);
  CHECK(moved->at(0).item.item.id == vip.id);
  CHECK(moved->at(0).epoch == 2);
  CHECK(moved->at(0).next_event == 2);
  CHECK(sql_int(db, "SELECT COUNT(*) FROM orders WHERE owner = 'b'") == 2);
  CHECK(sql_int(db,
                "SELECT COUNT(*) FROM order_events WHERE stage = 'cluster' "
                "AND detail = 'takeover from node a, epoch 2'")
        == 2);
  // A second taker finds nothing more of that region.
  auto c = store_of(db, "c");
  auto again = c->take_over("a", {"eu"}, lease);
  REQUIRE(again);
  CHECK(again->empty());
  // The order of a region the taker does not serve stays.
  CHECK(sql_int(db, "SELECT COUNT(*) FROM orders WHERE owner = 'a'") == 1);
}

TEST_CASE("the former owner's changes of a moved order are fenced; the new owner's are written") {
  pg_database db;
  auto a = store_of(db, "a");
  auto b = store_of(db, "b");
  journal_batch batch;
  auto x = new_order("desk", 2, "eu");
  auto y = new_order("lamp", 1, "eu");
  batch.new_orders = {x, y};
  auto seqs = a->commit(batch);
  REQUIRE(seqs);
  // `y` finishes before the takeover; `x` moves.
  journal_batch done;
  done.changes = {state_change{
    (*seqs)[1], 1, order_event{y.id, order_state::rejected, stage_id::validator, "", 1}}};
  REQUIRE(a->commit(done));
  auto moved = b->take_over("a", all_regions, lease);
  REQUIRE(moved);
  REQUIRE(moved->size() == 1);
  journal_batch stale;
  stale.changes = {
    state_change{(*seqs)[0], 1,
                 order_event{x.id, order_state::failed, stage_id::shipper, "late", 2}},
  };
  stale.new_orders = {new_order("pen", 1, "us")};
  auto written = a->commit(stale);
  REQUIRE_MESSAGE(written, describe(written.error()));
  CHECK(written->at(0) > 0);  // The stale node still takes new orders of its own.
  CHECK(a->fenced() == std::vector<int64_t>{(*seqs)[0]});
  CHECK(sql_int(db, "SELECT COUNT(*) FROM failures") == 0);
  CHECK(sql_int(db, "SELECT COUNT(*) FROM orders WHERE state = 'failed'") == 0);
  journal_batch fresh;
  fresh.changes = {state_change{
    (*seqs)[0], moved->at(0).next_event,
    order_event{x.id, order_state::validated, stage_id::validator, "", 3}, moved->at(0).epoch}};
  REQUIRE(b->commit(fresh));
  CHECK(b->fenced().empty());
  CHECK(sql_int(db, "SELECT COUNT(*) FROM orders WHERE state = 'validated' AND owner = 'b'") == 1);
  CHECK(
    sql_int(db, "SELECT COUNT(*) FROM event_log WHERE order_seq = " + std::to_string((*seqs)[0]))
    == 3);  // received, takeover, validated: nothing of the stale node's.
}

TEST_CASE("a restarted node takes its own unfinished orders with a new epoch, not others'") {
  pg_database db;
  {
    auto a = store_of(db, "a");
    auto b = store_of(db, "b");
    journal_batch batch;
    batch.new_orders = {new_order("desk", 2, "eu")};
    REQUIRE(a->commit(batch));
    batch.new_orders = {new_order("lamp", 2, "eu")};
    REQUIRE(b->commit(batch));
  }
  auto a = store_of(db, "a");
  auto mine = a->unfinished();
  REQUIRE(mine);
  REQUIRE(mine->size() == 1);
  CHECK(mine->at(0).item.item.product_name == "desk");
  CHECK(mine->at(0).epoch == 2);
}

TEST_CASE("a live node's orders stay; a down or gone node's are orphans") {
  pg_database db;
  auto store = store_of(db, "a");  // Creates the schema.
  journal_batch batch;
  batch.new_orders = {new_order("desk", 2, "eu")};
  REQUIRE(store->commit(batch));
  auto a = member_of(db);
  REQUIRE(!a->join(info("a", "h1", 11), lease));
  REQUIRE(!a->beat({3, 10, 2.5}));
  auto b = member_of(db);
  REQUIRE(!b->join(info("b", "h1", 12), lease));
  auto orphans = b->orphans(all_regions, lease);
  REQUIRE(orphans);
  CHECK(orphans->empty());
  auto taker = store_of(db, "b");
  auto none = taker->take_over("a", all_regions, lease);
  REQUIRE(none);
  CHECK(none->empty());  // Alive: the store does not take its orders even when asked.
  // With a lease shorter than the time since the heartbeat, "a" is down.
  usleep(20000);
  orphans = b->orphans(all_regions, std::chrono::milliseconds(10));
  REQUIRE(orphans);
  REQUIRE(orphans->size() == 1);
  CHECK(orphans->at(0).node == "a");
  CHECK(orphans->at(0).orders == 1);
  CHECK(b->orphans({"us"}, std::chrono::milliseconds(10))->empty());
  // A node that left is gone at once, whatever the lease.
  REQUIRE(!a->leave());
  orphans = b->orphans(all_regions, lease);
  REQUIRE(orphans);
  CHECK(orphans->size() == 1);
  CHECK(sql_int(db, "SELECT in_flight + finished FROM nodes WHERE id = 'a'") == 10);
}

TEST_CASE("a second live process with a node's id is refused; a crashed one of this host is not") {
  pg_database db;
  store_of(db, "x");
  auto first = member_of(db);
  REQUIRE(!first->join(info("a", "other-host", 11), lease));
  auto second = member_of(db);
  auto err = second->join(info("a", "this-host", 12), lease);
  REQUIRE(err);
  CHECK(taken(err));
  CHECK(describe(err).find("node id \"a\" is taken") != std::string::npos);
  // The same host, a process that is gone: a restart after a crash joins at once.
  auto crashed = member_of(db);
  REQUIRE(!crashed->join(info("b", "this-host", dead_pid()), lease));
  auto restarted = member_of(db);
  REQUIRE(!restarted->join(info("b", "this-host", static_cast<int32_t>(getpid())), lease));
  // The crashed process, had it been only paused, learns at its next beat that it lost its id.
  CHECK(taken(crashed->beat({})));
  CHECK(!restarted->beat({}));
  // Gone nodes give their id back at once.
  REQUIRE(!first->leave());
  CHECK(!second->join(info("a", "this-host", 12), lease));
}
