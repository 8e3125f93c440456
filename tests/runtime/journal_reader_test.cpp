#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/core/errors.hpp"
#include "runtime/store/journal_reader.hpp"
#include "runtime/store/sqlite_store.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode;
using ordernode::test::new_order;
using ordernode::test::temp_dir;

namespace {

struct fixture {
  temp_dir dir;
  std::string path = dir.file("journal.db");
  std::unique_ptr<order_store> store = open_store();
  std::vector<order> orders{new_order("widget", 2, "eu", true), new_order("gadget", 3, "us"),
                            new_order("gizmo", 4, "eu")};

  std::unique_ptr<order_store> open_store() {
    auto result = open_sqlite_store({path, false, 5000});
    REQUIRE_MESSAGE(result, describe(result.error()));
    return std::move(*result);
  }

  std::unique_ptr<journal_reader> reader() {
    auto result = open_journal_reader(journal_location::sqlite_file(path));
    REQUIRE_MESSAGE(result, describe(result.error()));
    return std::move(*result);
  }

  fixture() {
    journal_batch batch;
    batch.new_orders = orders;
    auto seqs = store->commit(batch);
    REQUIRE(seqs);
    batch.clear();
    batch.changes.push_back(
      {(*seqs)[0], 1, {orders[0].id, order_state::validated, stage_id::validator, "", now()}});
    batch.changes.push_back(
      {(*seqs)[1],
       1,
       {orders[1].id, order_state::rejected, stage_id::validator, "bad quantity", now()}});
    batch.errors.push_back(
      {orders[1].id, stage_id::validator, error_type::validation, "bad quantity", now()});
    REQUIRE(store->commit(batch));
  }
};

}  // namespace

TEST_CASE_FIXTURE(fixture, "find returns the order with its history, oldest first") {
  auto found = reader()->find(orders[0].id);
  REQUIRE(found);
  REQUIRE(found->has_value());
  auto& x = **found;
  CHECK(x.item.product_name == "widget");
  CHECK(x.item.vip);
  CHECK(x.state == order_state::validated);
  REQUIRE(x.history.size() == 2);
  CHECK(x.history[0].state == order_state::received);
  CHECK(x.history[1].state == order_state::validated);
  CHECK(x.history[1].stage == "validator");
}

TEST_CASE_FIXTURE(fixture, "find of an unknown id is empty, not an error") {
  auto found = reader()->find("no-such-order");
  REQUIRE(found);
  CHECK_FALSE(found->has_value());
}

TEST_CASE_FIXTURE(fixture, "list filters by state and region and pages by seq") {
  auto r = reader();
  auto eu = r->list({std::nullopt, "eu", 10, 0});
  REQUIRE(eu);
  REQUIRE(eu->size() == 2);
  CHECK(eu->at(0).item.product_name == "widget");
  CHECK(eu->at(1).item.product_name == "gizmo");
  auto rejected = r->list({order_state::rejected, "", 10, 0});
  REQUIRE(rejected);
  REQUIRE(rejected->size() == 1);
  CHECK(rejected->at(0).detail == "bad quantity");
  auto first = r->list({std::nullopt, "", 1, 0});
  REQUIRE(first);
  REQUIRE(first->size() == 1);
  auto next = r->list({std::nullopt, "", 5, first->at(0).seq});
  REQUIRE(next);
  REQUIRE(next->size() == 2);
  CHECK(next->at(0).item.id == orders[1].id);
}

TEST_CASE_FIXTURE(fixture, "errors come newest first and states are counted") {
  auto r = reader();
  auto errs = r->errors(10);
  REQUIRE(errs);
  REQUIRE(errs->size() == 1);
  CHECK(errs->at(0).order_id == orders[1].id);
  CHECK(errs->at(0).type == "validation");
  auto counts = r->count_by_state();
  REQUIRE(counts);
  std::map<order_state, uint64_t> by_state(counts->begin(), counts->end());
  CHECK(by_state[order_state::received] == 1);
  CHECK(by_state[order_state::validated] == 1);
  CHECK(by_state[order_state::rejected] == 1);
}

TEST_CASE("a journal that does not exist is a clear error") {
  temp_dir dir;
  auto r = open_journal_reader(journal_location::sqlite_file(dir.file("missing.db")));
  REQUIRE_FALSE(r);
  CHECK(describe(r.error()).find("missing.db") != std::string::npos);
}
