// Drives orders through a running flow: a window of them in flight through the intake, each
// timed from its acceptance to the journal's commit of its final state.
#pragma once

#include <cstdint>

#include <caf/fwd.hpp>

#include "runtime/core/stages.hpp"
#include "tools/bench/latency_histogram.hpp"

namespace ordernode::bench {

// Submits `total` orders (every tenth VIP, regions eu, us and ap in turn) and keeps at most
// `window` of them unfinished; prints a progress line to stderr every second. Blocks until
// every order finished; the calling thread must not be a CAF scheduler thread.
latency_histogram drive_orders(caf::actor_system& sys, const intake_actor& intake,
                               const journal_actor& journal, uint64_t total, uint64_t window);

}  // namespace ordernode::bench
