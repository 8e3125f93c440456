#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
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

TEST_CASE("VIP orders overtake a backlog of normal orders") {
  temp_dir dir;
  node_config cfg;
  quiet_defaults(cfg, dir.file("journal.db"));
  cfg.regions = {"eu=1"};
  cfg.processor.max_in_flight = 1;
  cfg.processor.latency = std::chrono::milliseconds(5);
  std::vector<order> normal;
  for (int i = 0; i < 200; ++i)
    normal.push_back(new_order("cable", 1, "eu"));
  std::vector<order> vip;
  std::vector<std::string> vip_ids;
  for (int i = 0; i < 10; ++i) {
    vip.push_back(new_order("laptop", 2, "eu", true));
    vip_ids.push_back(vip.back().id);
  }
  const std::set<std::string> vip_set(vip_ids.begin(), vip_ids.end());
  std::vector<std::string> finished_ids;
  uint64_t backlog = 0;
  {
    flow_harness h{cfg};
    auto log = h.subscribe_finished();
    for (auto& answer : h.submit_all(normal)) {
      REQUIRE(answer);
      REQUIRE(*answer == admission::accepted);
    }
    // Accepted orders reach the dispatcher through the validator: wait until every one of them
    // is queued there, or finished, or (at most two) between the processor and the journal.
    auto all_dispatched = [&] {
      backlog = h.in_flight(h.f.dispatchers.at("eu"));
      return backlog + log->snapshot().size() >= 198;
    };
    REQUIRE(wait_until(all_dispatched, std::chrono::seconds(5)));
    for (auto& answer : h.submit_all(vip)) {
      REQUIRE(answer);
      REQUIRE(*answer == admission::accepted);
    }
    auto vips_done = [&] {
      auto items = log->snapshot();
      return std::count_if(items.begin(), items.end(), [&](auto& x) { return x.item.vip; }) == 10;
    };
    REQUIRE(wait_until(vips_done, std::chrono::seconds(10)));
    for (auto& x : log->snapshot()) {
      CHECK(x.state == order_state::completed);
      finished_ids.push_back(x.item.id);
    }
  }
  INFO("normal orders at the dispatcher when the VIP orders came: " << backlog);
  REQUIRE(backlog >= 180);
  auto last_vip = std::find_if(finished_ids.rbegin(), finished_ids.rend(),
                               [&](auto& id) { return vip_set.count(id) > 0; });
  REQUIRE(last_vip != finished_ids.rend());
  auto before_last_vip = static_cast<size_t>(finished_ids.rend() - last_vip) - 1;
  auto normal_before = before_last_vip - (vip_ids.size() - 1);
  INFO("normal orders finished before the last VIP order: " << normal_before);
  // Only what left the dispatcher's queue before the VIP orders came, and the one order the
  // worker holds, may finish first.
  CHECK(normal_before <= 200 - backlog + 3);
  CHECK(normal_before < 20);
  std::vector<std::string> vip_order;
  for (auto& id : finished_ids)
    if (vip_set.count(id) > 0)
      vip_order.push_back(id);
  CHECK(vip_order == vip_ids);

  SQLite::Database db{dir.file("journal.db"), SQLite::OPEN_READONLY};
  auto processed = query_strings(db,
                                 "SELECT o.id FROM order_events e JOIN orders o ON o.seq = "
                                 "e.order_seq WHERE e.state = 'processed' ORDER BY e.at, "
                                 "e.rowid");
  auto last = std::find_if(processed.rbegin(), processed.rend(),
                           [&](auto& id) { return vip_set.count(id) > 0; });
  REQUIRE(last != processed.rend());
  auto processed_before = static_cast<size_t>(processed.rend() - last) - 10;
  CHECK(processed_before <= 200 - backlog + 3);
  CHECK(query_int(db, "SELECT COUNT(*) FROM orders WHERE vip = 1 AND state = 'completed'") == 10);
}
