// The rate of the journal's store alone: the ceiling of any flow that journals through it.
#pragma once

#include <cstddef>
#include <string>

#include "runtime/store/sqlite_store.hpp"

namespace ordernode::bench {

// Orders per second that a fresh SQLite order store opened with `options` commits with no actors
// around it. Each commit holds `per_commit` new orders and the five later state changes (validated,
// processing, processed, shipping, completed) of the previous commit's orders, as the flow
// records them, so every order costs what it costs in the journal. SQLite has one writer, so
// no flow that journals every order through this store can run faster. Removes the database
// files before and after, also on failure. Throws std::runtime_error on a store failure or when the
// store does not hold all `n` orders completed at the end, std::invalid_argument if per_commit ==
// 0. Returns 0 for n == 0.
double journal_store_rate(const sqlite_options& options, std::size_t n, std::size_t per_commit);

// The same on a fresh `store` of any engine, which the caller opens and removes.
double journal_store_rate(order_store& store, std::size_t n, std::size_t per_commit);

}  // namespace ordernode::bench
