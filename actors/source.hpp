// The source: mock orders on a timer, as the spec's polled message source.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <caf/timespan.hpp>

#include "runtime/core/option_table.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

struct source_options {
  bool enabled = true;
  caf::timespan interval = std::chrono::seconds(1);
  int32_t burst = 1;
  double vip_share = 0.1;
  double invalid_share = 0.05;
  bool print = true;
  std::vector<std::string> products{"keyboard", "mouse",  "monitor", "laptop",
                                    "headset",  "webcam", "dock",    "cable"};
  std::vector<std::string> customers{"alice", "bob", "carol", "dave", "erin", "frank"};
};

struct source_state {
  bool paused = false;
  caf::timespan interval{0};
  int32_t burst = 0;
  uint64_t generated = 0;
  uint64_t refused = 0;
  uint64_t skipped = 0;
  bool overloaded = false;
  int64_t held_ticks = 0;  // Ticks left to skip while the journal cannot record orders.

  static inline const char* name = "source";
};

using source_pointer = source_actor::stateful_pointer<source_state>;

// The config keys source.*.
option_table option_table_of(source_options& x);

// A random order; a share of `options.invalid_share` is invalid on purpose (empty or blank
// name, negative quantity, unknown region) so the error path runs.
order make_mock_order(const source_options& options, const std::vector<std::string>& regions);

// The interval and burst that generate `per_second` orders per second, at most 100 bursts a
// second.
std::pair<caf::timespan, int32_t> pace_for_rate(int32_t per_second);

// Every `options.interval`, submits `options.burst` mock orders to `intake` and prints each.
// After the intake answered `overloaded`, the source skips its next burst. `rate` replaces the
// interval and burst.
source_actor::behavior_type source(source_pointer self, source_options options,
                                   std::vector<std::string> regions, intake_ref intake);

}  // namespace ordernode
