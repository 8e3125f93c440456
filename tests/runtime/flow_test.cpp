#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/support/flow_harness.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/sqlite_queries.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

uint64_t finished_count(const totals& x) {
  return x.all.completed + x.all.failed + x.all.rejected;
}

std::string text_of(const caf::expected<admission>& x) {
  return x ? to_string(*x) : describe(x.error());
}

// Collapses repeated states (a shipping retry records `shipping` once per attempt).
std::vector<std::string> distinct_steps(const std::vector<std::string>& xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    if (result.empty() || result.back() != x)
      result.push_back(x);
  return result;
}

}  // namespace

TEST_CASE("two thousand orders flow through, and the database adds up") {
  temp_dir dir;
  node_config cfg;
  quiet_defaults(cfg, dir.file("journal.db"));
  cfg.processor.workers = 2;
  cfg.processor.failure_rate = 0.1;
  cfg.shipper.failure_rate = 0.2;
  cfg.shipper.max_retries = 3;
  std::vector<order> orders;
  std::set<std::string> invalid_ids;
  const std::vector<std::string> regions{"eu", "us", "ap"};
  for (int i = 0; i < 2000; ++i) {
    auto x = new_order("keyboard", 1 + i % 10, regions[i % 3], i % 7 == 0);
    if (i % 10 == 3) {
      switch ((i / 10) % 4) {
        case 0:
          x.product_name.clear();
          break;
        case 1:
          x.product_name = "  \t";
          break;
        case 2:
          x.quantity = -x.quantity;
          break;
        default:
          x.region = "mars";
      }
      invalid_ids.insert(x.id);
    }
    orders.push_back(std::move(x));
  }
  totals aggregated;
  totals journaled;
  {
    flow_harness h{cfg};
    auto answers = h.submit_all(orders);
    REQUIRE(answers.size() == orders.size());
    for (auto& answer : answers) {
      CAPTURE(text_of(answer));
      REQUIRE(answer);
      CHECK(*answer == admission::accepted);
    }
    REQUIRE(h.wait_idle());
    h.flush();
    REQUIRE(wait_until([&] { return finished_count(h.totals_of(h.f.aggregator)) == 2000; }));
    aggregated = h.totals_of(h.f.aggregator);
    journaled = h.totals_of(h.f.journal);
  }
  SQLite::Database db{dir.file("journal.db"), SQLite::OPEN_READONLY};
  auto accepted = query_int(db, "SELECT COUNT(*) FROM orders");
  auto completed = query_int(db, "SELECT COUNT(*) FROM orders WHERE state = 'completed'");
  auto failed = query_int(db, "SELECT COUNT(*) FROM orders WHERE state = 'failed'");
  auto rejected = query_int(db, "SELECT COUNT(*) FROM orders WHERE state = 'rejected'");
  CHECK(accepted == 2000);
  CHECK(accepted == completed + failed + rejected);
  CHECK(rejected == static_cast<int64_t>(invalid_ids.size()));
  CHECK(failed > 0);
  CHECK(completed > 1000);

  {
    INFO("exactly the invalid orders are rejected, with the validator's reason");
    auto rejected_ids = query_strings(db, "SELECT id FROM orders WHERE state = 'rejected'");
    CHECK(std::set<std::string>(rejected_ids.begin(), rejected_ids.end()) == invalid_ids);
    CHECK(query_int(db,
                    "SELECT COUNT(*) FROM orders WHERE state = 'rejected' AND region = "
                    "'mars' AND detail LIKE '%unknown region%'")
          == 50);
    CHECK(query_int(db,
                    "SELECT COUNT(*) FROM orders WHERE state = 'rejected' AND detail LIKE "
                    "'%product name is empty%'")
          == 100);
    CHECK(query_int(db,
                    "SELECT COUNT(*) FROM orders WHERE state = 'rejected' AND detail LIKE "
                    "'%is below 0%'")
          == 50);
  }

  {
    INFO("every rejected or failed order has an errors row");
    CHECK(query_int(db,
                    "SELECT COUNT(*) FROM orders o WHERE o.state IN ('rejected', 'failed') AND NOT "
                    "EXISTS (SELECT 1 FROM errors e WHERE e.order_id = o.id)")
          == 0);
    CHECK(query_int(db,
                    "SELECT COUNT(*) FROM errors e JOIN orders o ON o.id = e.order_id WHERE "
                    "o.state = 'rejected' AND e.stage = 'validator'")
          == rejected);
    CHECK(query_int(db,
                    "SELECT COUNT(*) FROM errors e JOIN orders o ON o.id = e.order_id WHERE "
                    "o.state = 'failed' AND e.stage IN ('processor', 'shipper')")
          == failed);
    CHECK(query_int(db,
                    "SELECT COUNT(*) FROM errors e JOIN orders o ON o.id = e.order_id WHERE "
                    "o.state = 'completed'")
          == 0);
  }

  {
    INFO("the aggregator's totals equal the database's, overall and per region");
    CHECK(aggregated.all.completed == static_cast<uint64_t>(completed));
    CHECK(aggregated.all.failed == static_cast<uint64_t>(failed));
    CHECK(aggregated.all.rejected == static_cast<uint64_t>(rejected));
    CHECK(aggregated.all.quantity
          == query_int(db, "SELECT SUM(quantity) FROM orders WHERE state = 'completed'"));
    std::map<std::string, region_totals> expected;
    SQLite::Statement q(db,
                        "SELECT region, state, COUNT(*), SUM(quantity) FROM orders GROUP BY "
                        "region, state");
    while (q.executeStep()) {
      auto& x = expected[q.getColumn(0).getString()];
      auto state = q.getColumn(1).getString();
      auto count = static_cast<uint64_t>(q.getColumn(2).getInt64());
      if (state == "completed") {
        x.completed = count;
        x.quantity = q.getColumn(3).getInt64();
      } else if (state == "failed") {
        x.failed = count;
      } else {
        x.rejected = count;
      }
    }
    CHECK(expected.size() == 4);
    CHECK(aggregated.by_region.size() == expected.size());
    for (auto& [name, x] : expected) {
      CAPTURE(name);
      CHECK(aggregated.by_region[name] == x);
      CHECK(journaled.by_region[name] == x);
    }
    CHECK(journaled.all == aggregated.all);
  }

  {
    INFO("every completed order went through each stage in order");
    std::map<int64_t, std::vector<std::string>> steps;
    SQLite::Statement q(db,
                        "SELECT e.order_seq, e.state FROM order_events e JOIN orders o ON "
                        "o.seq = e.order_seq WHERE o.state = 'completed' ORDER BY e.rowid");
    while (q.executeStep())
      steps[q.getColumn(0).getInt64()].push_back(q.getColumn(1).getString());
    CHECK(static_cast<int64_t>(steps.size()) == completed);
    const std::vector<std::string> expected{"received",  "validated", "processing",
                                            "processed", "shipping",  "completed"};
    size_t retried = 0;
    for (auto& [seq, xs] : steps) {
      CAPTURE(seq);
      CHECK(distinct_steps(xs) == expected);
      if (xs.size() > expected.size())
        ++retried;
    }
    CHECK(retried > 0);
    CHECK(query_int(db,
                    "SELECT COUNT(*) FROM orders WHERE state = 'completed' AND detail NOT "
                    "LIKE 'tracking TRK-%'")
          == 0);
  }

  {
    INFO("rejected orders never reached a dispatcher");
    CHECK(query_int(db,
                    "SELECT COUNT(*) FROM order_events e JOIN orders o ON o.seq = "
                    "e.order_seq WHERE o.state = 'rejected' AND e.state NOT IN ('received', "
                    "'rejected')")
          == 0);
  }
}

TEST_CASE("submitting an order id twice is answered duplicate and counted once") {
  temp_dir dir;
  node_config cfg;
  quiet_defaults(cfg, dir.file("journal.db"));
  cfg.regions = {"eu=1"};
  auto first = new_order("mouse", 4, "eu");
  auto second = new_order("dock", 6, "eu");
  totals aggregated;
  {
    flow_harness h{cfg};
    auto a = h.submit(first);
    REQUIRE(a);
    CHECK(*a == admission::accepted);
    REQUIRE(h.wait_idle());
    auto again = first;
    again.quantity = 400;
    auto b = h.submit(again);
    REQUIRE(b);
    CHECK(*b == admission::duplicate);
    auto both = h.submit_all({second, second});
    REQUIRE(both.size() == 2);
    REQUIRE(both[0]);
    CHECK(*both[0] == admission::accepted);
    CAPTURE(text_of(both[1]));
    if (both[1])
      CHECK(*both[1] == admission::duplicate);
    else
      CHECK(describe(both[1].error()).find("being submitted already") != std::string::npos);
    auto third = h.submit(second);
    REQUIRE(third);
    CHECK(*third == admission::duplicate);
    REQUIRE(h.wait_idle());
    h.flush();
    REQUIRE(wait_until([&] { return finished_count(h.totals_of(h.f.aggregator)) >= 2; }));
    aggregated = h.totals_of(h.f.aggregator);
    CHECK(h.in_flight(h.f.intake) == 0);
  }
  CHECK(aggregated.all == region_totals{2, 10, 0, 0});
  SQLite::Database db{dir.file("journal.db"), SQLite::OPEN_READONLY};
  CHECK(query_int(db, "SELECT COUNT(*) FROM orders") == 2);
  CHECK(query_int(db, "SELECT quantity FROM orders WHERE id = '" + first.id + "'") == 4);
  CHECK(query_int(db, "SELECT COUNT(*) FROM order_history WHERE state = 'received'") == 2);
  CHECK(query_int(db, "SELECT COUNT(*) FROM order_history WHERE state = 'completed'") == 2);
}

TEST_CASE("the intake answers overloaded beyond node.max-in-flight") {
  temp_dir dir;
  node_config cfg;
  quiet_defaults(cfg, dir.file("journal.db"));
  cfg.regions = {"eu=1"};
  cfg.node.max_in_flight = 3;
  cfg.processor.latency = std::chrono::seconds(30);
  flow_harness h{cfg};
  for (int i = 0; i < 2; ++i) {
    auto x = h.submit(new_order("mouse", 1, "eu"));
    CAPTURE(text_of(x));
    REQUIRE(x);
    CHECK(*x == admission::accepted);
  }
  auto invalid = h.submit(new_order("", 1, "eu"));
  REQUIRE(invalid);
  CHECK(*invalid == admission::accepted);
  CHECK(wait_until([&] { return h.in_flight(h.f.intake) == 2; }));
  auto third = h.submit(new_order("mouse", 1, "eu"));
  REQUIRE(third);
  CHECK(*third == admission::accepted);
  CHECK(h.in_flight(h.f.intake) == 3);
  auto refused = h.submit(new_order("mouse", 1, "eu"));
  REQUIRE_FALSE(refused);
  auto text = describe(refused.error());
  CHECK(text.rfind("overloaded", 0) == 0);
  CHECK(text.find("3 orders in flight") != std::string::npos);
  CHECK(h.in_flight(h.f.intake) == 3);
  CHECK(wait_until([&] { return h.in_flight(h.f.dispatchers.at("eu")) == 3; }));
  h.flush();
  SQLite::Database db{dir.file("journal.db"), SQLite::OPEN_READONLY};
  CHECK(query_int(db, "SELECT COUNT(*) FROM orders") == 4);
  CHECK(query_int(db, "SELECT COUNT(*) FROM orders WHERE state = 'rejected'") == 1);
}
