#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <map>
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

// Start times of the `processing` events of one region's orders, in nanoseconds, oldest first.
std::vector<int64_t> processing_starts(SQLite::Database& db, const std::string& region) {
  SQLite::Statement q(db,
                      "SELECT e.at FROM order_events e JOIN orders o ON o.seq = e.order_seq "
                      "WHERE e.state = 'processing' AND o.region = ? ORDER BY e.at");
  q.bind(1, region);
  std::vector<int64_t> result;
  while (q.executeStep())
    result.push_back(q.getColumn(0).getInt64());
  return result;
}

constexpr int64_t ms = 1'000'000;

}  // namespace

TEST_CASE("each region's orders go to its own dispatcher and processor group") {
  temp_dir dir;
  node_config cfg;
  quiet_defaults(cfg, dir.file("journal.db"));
  cfg.regions = {"eu=2", "us=1"};
  cfg.processor.max_in_flight = 1;
  cfg.processor.latency = std::chrono::milliseconds(200);
  std::vector<order> orders;
  for (int i = 0; i < 4; ++i)
    orders.push_back(new_order("monitor", 1, "eu"));
  for (int i = 0; i < 2; ++i)
    orders.push_back(new_order("headset", 10, "us"));
  auto mars = new_order("rover", 1, "mars");
  orders.push_back(mars);
  totals aggregated;
  {
    flow_harness h{cfg};
    REQUIRE(h.f.dispatchers.size() == 2);
    REQUIRE(h.f.dispatchers.count("eu") == 1);
    REQUIRE(h.f.dispatchers.count("us") == 1);
    CHECK(h.f.dispatchers.at("eu").get() != h.f.dispatchers.at("us").get());
    for (auto& answer : h.submit_all(orders)) {
      REQUIRE(answer);
      CHECK(*answer == admission::accepted);
    }
    auto& eu = h.f.dispatchers.at("eu");
    auto& us = h.f.dispatchers.at("us");
    CHECK(wait_until([&] { return h.in_flight(eu) == 4 && h.in_flight(us) == 2; },
                     std::chrono::seconds(2)));
    REQUIRE(h.wait_idle(std::chrono::seconds(10)));
    CHECK(h.in_flight(eu) == 0);
    CHECK(h.in_flight(us) == 0);
    h.flush();
    REQUIRE(wait_until([&] {
      auto x = h.totals_of(h.f.aggregator).all;
      return x.completed + x.rejected == 7;
    }));
    aggregated = h.totals_of(h.f.aggregator);
  }
  CHECK(aggregated.by_region["eu"] == region_totals{4, 4, 0, 0});
  CHECK(aggregated.by_region["us"] == region_totals{2, 20, 0, 0});
  CHECK(aggregated.by_region["mars"] == region_totals{0, 0, 0, 1});

  SQLite::Database db{dir.file("journal.db"), SQLite::OPEN_READONLY};
  CHECK(query_int(db, "SELECT COUNT(*) FROM orders WHERE region = 'eu' AND state = 'completed'")
        == 4);
  CHECK(query_int(db, "SELECT COUNT(*) FROM orders WHERE region = 'us' AND state = 'completed'")
        == 2);

  // eu has two processors: two orders at a time. us has one: one at a time.
  auto eu_starts = processing_starts(db, "eu");
  auto us_starts = processing_starts(db, "us");
  REQUIRE(eu_starts.size() == 4);
  REQUIRE(us_starts.size() == 2);
  CHECK(eu_starts[1] - eu_starts[0] < 100 * ms);
  CHECK(eu_starts[2] - eu_starts[0] >= 150 * ms);
  CHECK(eu_starts[3] - eu_starts[2] < 100 * ms);
  CHECK(us_starts[1] - us_starts[0] >= 150 * ms);
  CHECK(us_starts[0] - eu_starts[0] < 100 * ms);
}

TEST_CASE("an order for an unknown region is rejected with a clear reason") {
  temp_dir dir;
  node_config cfg;
  quiet_defaults(cfg, dir.file("journal.db"));
  cfg.regions = {"eu=2", "us=1"};
  auto mars = new_order("rover", 1, "mars");
  {
    flow_harness h{cfg};
    auto answer = h.submit(mars);
    REQUIRE(answer);
    CHECK(*answer == admission::accepted);
    REQUIRE(h.wait_idle(std::chrono::seconds(5)));
    h.flush();
    CHECK(h.in_flight(h.f.dispatchers.at("eu")) == 0);
    CHECK(h.in_flight(h.f.dispatchers.at("us")) == 0);
  }
  SQLite::Database db{dir.file("journal.db"), SQLite::OPEN_READONLY};
  CHECK(query_strings(db, "SELECT state FROM orders WHERE id = '" + mars.id + "'")
        == std::vector<std::string>{"rejected"});
  auto detail = query_strings(db, "SELECT detail FROM orders WHERE id = '" + mars.id + "'");
  REQUIRE(detail.size() == 1);
  CHECK(detail[0].find("unknown region") != std::string::npos);
  CHECK(detail[0].find("mars") != std::string::npos);
  auto causes = query_strings(db, "SELECT cause FROM errors WHERE order_id = '" + mars.id + "'");
  REQUIRE(causes.size() == 1);
  CHECK(causes[0] == "unknown region 'mars'");
  CHECK(query_strings(db, "SELECT stage FROM errors WHERE order_id = '" + mars.id + "'")
        == std::vector<std::string>{"validator"});
  CHECK(query_strings(
          db, "SELECT state FROM order_history WHERE order_id = '" + mars.id + "' ORDER BY at")
        == std::vector<std::string>{"received", "rejected"});
}
