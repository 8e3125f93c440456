// Drives orders through a running flow: a window of them in flight through the intake, each
// timed from its acceptance to the journal's commit of its final state.
#pragma once

#include <cstdint>

#include <caf/fwd.hpp>

#include "runtime/core/stages.hpp"
#include "tools/bench/latency_histogram.hpp"

namespace ordernode::bench {

struct drive_result {
  latency_histogram latency;
  double seconds = 0;      // From the first submission to the last finished order.
  uint64_t held_back = 0;  // Most offered orders a full window held back at once.
};

// Submits `total` orders (every tenth VIP, regions eu, us and ap in turn) and keeps at most
// `window` of them unfinished. With `rate` 0, each finished order makes room for the next one
// (a saturated run); otherwise orders are offered at `rate` per second, and a window that is
// full holds them back (a rate more than the flow sustains). Prints a progress
// line to stderr every second. Blocks until every order finished; the calling thread must not
// be a CAF scheduler thread.
drive_result drive_orders(caf::actor_system& sys, const intake_actor& intake,
                          const journal_actor& journal, uint64_t total, uint64_t window,
                          double rate = 0);

}  // namespace ordernode::bench
