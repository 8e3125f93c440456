// The journal: the one writer of the order store, committing writes in groups.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "actors/journal_outbox.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/core/option_table.hpp"
#include "runtime/core/stages.hpp"
#include "runtime/store/journal_location.hpp"
#include "runtime/store/order_store.hpp"

namespace ordernode {

// When a commit reaches the disk: `full` (the default) syncs every commit, so an accepted order
// survives a power loss; `normal` syncs at checkpoints of the write-ahead log (a power loss may
// take the last commits, a crash of the node does not).
enum class journal_sync : uint8_t { normal, full };

const char* to_string(journal_sync x);

struct journal_options {
  std::string url;  // Empty: sqlite: and `path`.
  std::string path = "ordernode.db";
  int32_t max_batch = 4096;
  journal_sync synchronous = journal_sync::full;
  int32_t wal_limit_mib = 64;  // The write-ahead log starts over once it passes this.
  std::string failures_file;   // Also append each failed order here as a JSON line.
  caf::timespan statement_timeout = std::chrono::seconds(30);  // PostgreSQL cancels slower ones.
};

// Where the journal lives: journal.url, or else the SQLite file journal.path.
journal_location location_of(const journal_options& x);

// The config keys journal.*.
option_table option_table_of(journal_options& x);

struct journal_state {
  struct live_order {
    int64_t seq = 0;
    order item;
    order_state state = order_state::received;
    int32_t recoveries = 0;
    timestamp accepted_at = 0;  // 0 for orders recovered at start.
    int32_t next_event = 1;     // The `n` of its next recorded event.
    int64_t epoch = 1;          // Its epoch in the store: changes are fenced by it.
    int32_t attempt = 0;        // Its shipping attempt and when it is due (order_event).
    timestamp due = 0;
  };

  std::shared_ptr<order_store> store;
  size_t max_batch = 4096;
  journal_batch batch;
  // Who waits for each of batch.new_orders: a response promise, or else a sender of `admit`.
  std::vector<caf::typed_response_promise<admission>> appends;
  std::vector<caf::strong_actor_ptr> admitters;
  std::vector<std::pair<caf::strong_actor_ptr, admission_note>> notes;
  // Who waits for each order forwarded to the outbox in the current batch.
  std::vector<std::pair<caf::strong_actor_ptr, std::string>> forwarded;
  journal_outbox outbox;
  std::vector<caf::typed_response_promise<bool>> flushes;
  std::vector<finished_order> finished;
  std::vector<double> finished_seconds;  // Since acceptance, per `finished`; -1 if unknown.
  std::unordered_map<std::string, live_order> live;
  std::vector<stored_order> recovered;
  std::vector<finished_listener> listeners;
  // Collected only while someone listens: nothing is copied for a node without live views.
  std::vector<change_listener> change_listeners;
  std::vector<order_change> changes;
  caf::timespan retry_delay{0};  // Set while commits fail: the wait before the next attempt.
  std::string refusal;           // Why new orders are refused while commits fail.
  bool tick_pending = false;     // A retry is scheduled.
  std::shared_ptr<node_metrics> metrics;
  stage_metrics stage;

  static inline const char* name = "journal";
};

using journal_pointer = journal_with_outbox_actor::stateful_pointer<journal_state>;

// Commits whenever its mailbox runs empty or a batch reaches `max_batch` rows, and answers
// appends and flushes only after their commit, then publishes the committed final states to its
// finished listeners and every committed state change to its change listeners. Run it
// detached: SQLite blocks. Records accepted and finished orders, their time in the flow, batch
// sizes and commit latency. Keeps the broker's outbox: forwarded orders and, with
// `outbox.results_exchange` set, the result of each finished order, in the commit that finished
// it.
journal_with_outbox_actor::behavior_type journal(journal_pointer self,
                                                 std::shared_ptr<order_store> store,
                                                 int32_t max_batch,
                                                 std::shared_ptr<node_metrics> metrics,
                                                 outbox_options outbox);

}  // namespace ordernode
