// The totals over finished orders as both engines read them: one row per region and state.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/core/messages.hpp"

namespace ordernode {

constexpr const char* finished_totals_sql =
  "SELECT region, state, COUNT(*), COALESCE(SUM(quantity), 0) FROM orders "
  "WHERE state IN ('completed', 'rejected', 'failed') GROUP BY region, state";

// The same over the orders of one owner node, the parameter `$1`.
constexpr const char* owned_finished_totals_sql =
  "SELECT region, state, COUNT(*), COALESCE(SUM(quantity), 0) FROM orders "
  "WHERE state IN ('completed', 'rejected', 'failed') AND owner = $1 GROUP BY region, state";

// Adds one row of `finished_totals_sql` to its region.
inline void add_finished_row(totals& x, const std::string& region, const std::string& state,
                             uint64_t count, int64_t quantity) {
  auto& y = x.by_region[region];
  if (state == "completed") {
    y.completed += count;
    y.quantity += quantity;
  } else if (state == "failed") {
    y.failed += count;
  } else {
    y.rejected += count;
  }
}

// Sums the regions into `x.all`.
inline void sum_regions(totals& x) {
  for (auto& [name, region] : x.by_region) {
    x.all.completed += region.completed;
    x.all.quantity += region.quantity;
    x.all.failed += region.failed;
    x.all.rejected += region.rejected;
  }
}

}  // namespace ordernode
