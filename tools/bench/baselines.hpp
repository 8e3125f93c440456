// Reference rates (CAF messaging, SQLite inserts) and peak RSS for the benchmark.
#pragma once

#include <cstddef>
#include <string>

#include <caf/fwd.hpp>

#include "runtime/store/sqlite_store.hpp"

namespace ordernode::bench {

// One-way messages per second from a sender actor to a counting receiver,
// timed from the first send to the last receipt. The payload is an order-like
// struct. The sender keeps at most a fixed window of messages in flight (the
// receiver acknowledges in chunks), so peak RSS stays bounded for any `n`.
// Blocks the calling thread, which must not be a CAF scheduler thread.
// Returns 0 for n == 0.
double caf_one_way_rate(caf::actor_system& sys, std::size_t n);

// Rows per second inserted with a prepared INSERT into a fresh SQLite file at
// `options.path` (WAL, synchronous as the options say), committing every `batch`
// rows; the time covers inserts and commits only. Removes the file, its -wal and
// -shm before and after the run, also on failure. Throws SQLite::Exception on
// database errors, std::invalid_argument if batch == 0. Returns 0 for n == 0.
double sqlite_batched_insert_rate(const sqlite_options& options, std::size_t n, std::size_t batch);

// Rows per second copied (COPY ... FROM STDIN, text format) into a fresh table shaped like the
// SQLite baseline's, in the PostgreSQL database at `url`, one transaction every `batch` rows.
// Creates and drops the table. Throws std::runtime_error on database errors.
double pg_copy_rate(const std::string& url, std::size_t n, std::size_t batch);

// Peak resident set size of this process in bytes (VmHWM from
// /proc/self/status); 0 if unavailable.
std::size_t peak_rss_bytes();

}  // namespace ordernode::bench
