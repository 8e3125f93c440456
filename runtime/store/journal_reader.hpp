// Read-only queries over the journal database, on a connection of their own (neither engine
// lets readers block the writer). Not thread-safe: give each thread its own reader.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "runtime/core/messages.hpp"
#include "runtime/store/journal_location.hpp"

namespace ordernode {

// One recorded state change.
struct history_entry {
  order_state state = order_state::received;
  std::string stage;
  std::string detail;
  timestamp at = 0;
};

// An order with its current state, as the journal holds it.
struct order_record {
  int64_t seq = 0;  // Position in the journal; the paging cursor.
  order item;
  order_state state = order_state::received;
  std::string detail;
  timestamp updated_at = 0;
  int32_t recoveries = 0;
  std::string owner;  // The node that owns it in a cluster; empty on a one-node journal.
  std::vector<history_entry> history;  // Filled by `find` only, oldest first.
};

// A filter for `list`; nothing and empty strings match everything.
struct order_filter {
  std::optional<order_state> state;
  std::string region;
  size_t limit = 50;
  int64_t after = 0;  // Only orders with a larger `seq`.
};

// One row of the `errors` table.
struct error_record {
  int64_t id = 0;
  std::string order_id;
  std::string stage;
  std::string type;
  std::string cause;
  timestamp at = 0;
};

// A member of the cluster as the table `nodes` records it.
struct node_record {
  std::string id;
  std::string http;
  std::string admin;
  std::string metrics;
  std::string regions;  // Comma-separated.
  std::string version;
  std::string host;
  int64_t pid = 0;
  timestamp started_at = 0;
  timestamp heartbeat = 0;
  int64_t heartbeat_age = 0;  // Nanoseconds since the heartbeat, by the database's clock.
  bool left = false;          // Stopped cleanly.
  int64_t in_flight = 0;
  int64_t finished = 0;
  double finished_rate = 0;
};

// "up", "down" (no heartbeat for `lease`) or "left" (stopped cleanly).
inline const char* state_of(const node_record& x, caf::timespan lease) {
  return x.left ? "left" : x.heartbeat_age < lease.count() ? "up" : "down";
}

class journal_reader {
public:
  virtual ~journal_reader() = default;

  // The order `id` with its full history, or nullopt when the journal does not know it.
  virtual caf::expected<std::optional<order_record>> find(const std::string& id) = 0;

  // Orders in journal order (oldest first) after `filter.after`, at most `filter.limit`.
  virtual caf::expected<std::vector<order_record>> list(const order_filter& filter) = 0;

  // The newest `limit` errors, newest first.
  virtual caf::expected<std::vector<error_record>> errors(size_t limit) = 0;

  // The totals over finished orders, of the node `owner` or, when empty, of all.
  virtual caf::expected<totals> finished_totals(const std::string& owner) = 0;

  // Every node that ever joined the cluster, by id.
  virtual caf::expected<std::vector<node_record>> nodes() = 0;

  // How many orders are in each state.
  virtual caf::expected<std::vector<std::pair<order_state, uint64_t>>> count_by_state() = 0;
};

// Opens a read-only connection to the journal at `where`; an SQLite file must exist.
caf::expected<std::unique_ptr<journal_reader>> open_journal_reader(const journal_location& where,
                                                                   int busy_timeout_ms = 5000);

}  // namespace ordernode
