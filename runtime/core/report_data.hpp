// The numbers of the journal report, as the store reads them (store/report_query.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/core/messages.hpp"

namespace ordernode {

// One label with its count, e.g. a state and how many orders are in it.
struct count_row {
  std::string label;
  uint64_t count = 0;
};

// The orders of one region by outcome.
struct region_row {
  std::string region;
  uint64_t total = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
  uint64_t rejected = 0;
};

// The orders of one product and their quantity.
struct product_row {
  std::string product;
  uint64_t orders = 0;
  int64_t quantity = 0;
};

// Orders received and finished in one time bucket.
struct throughput_bucket {
  timestamp start = 0;
  uint64_t received = 0;
  uint64_t finished = 0;
};

// Nearest-rank percentiles of a set of durations, in nanoseconds.
struct latency_summary {
  uint64_t count = 0;
  int64_t p50 = 0;
  int64_t p90 = 0;
  int64_t p99 = 0;
  int64_t max = 0;
};

struct report_data {
  std::string journal_path;
  timestamp generated_at = 0;
  timestamp first_received = 0;  // 0 when the journal holds no order.
  timestamp last_update = 0;
  uint64_t orders = 0;
  std::vector<count_row> by_state;
  std::vector<region_row> by_region;
  std::vector<region_row> by_node;  // The same per owner node of a cluster (`region`: the node).
  std::vector<product_row> by_product;
  std::vector<count_row> error_types;   // "stage / type" with counts.
  std::vector<count_row> error_causes;  // The most frequent causes.
  std::vector<count_row> failure_causes;
  std::vector<count_row> shipping_attempts;  // "1", "2", ... attempts per shipped order.
  uint64_t retries = 0;                      // Shipping attempts beyond the first, in total.
  latency_summary processing;                // Received to final, every finished order.
  latency_summary vip;                       // Received to completed, VIP orders.
  latency_summary normal;                    // Received to completed, other orders.
  int64_t bucket_width = 0;                  // Nanoseconds per throughput bucket.
  std::vector<throughput_bucket> throughput;
};

// The nearest-rank percentiles of `durations` (sorted in place).
latency_summary summarize_latencies(std::vector<int64_t>& durations);

}  // namespace ordernode
