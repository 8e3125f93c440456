// An order_store in one SQLite file in WAL mode.
#pragma once

#include <memory>
#include <string>

#include "runtime/store/order_store.hpp"

namespace ordernode {

struct sqlite_options {
  std::string path;
  bool fsync_every_commit = true;  // PRAGMA synchronous=FULL; false: NORMAL.
  int busy_timeout_ms = 5000;
  int64_t wal_limit_bytes = int64_t{64} << 20;  // The WAL starts over once it passes this.
};

// Opens (creating or migrating) the journal database.
caf::expected<std::unique_ptr<order_store>> open_sqlite_store(const sqlite_options& options);

// The schema version this build writes.
// 2: the broker's outbox; 3: events as codes; 4: owners and epochs of orders, the nodes.
constexpr int sqlite_schema_version = 4;

}  // namespace ordernode
