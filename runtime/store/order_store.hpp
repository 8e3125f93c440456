// The storage behind the journal: one batch of writes per commit, and the reads recovery needs.
#pragma once

#include <memory>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <caf/timespan.hpp>

#include "runtime/core/messages.hpp"
#include "runtime/core/outbox.hpp"

namespace ordernode {

// A new state of an order, with the order's id resolved by the journal. `n` numbers the events
// of one order from 0 (`received`, which the store writes itself).
// `epoch` is the order's epoch as the journal holds it: the change is written only while the
// store's node owns the order at that epoch.
struct state_change {
  int64_t seq = 0;
  int32_t n = 0;
  order_event event;
  int64_t epoch = 1;
};

// Everything the journal commits at once.
struct journal_batch {
  std::vector<order> new_orders;
  std::vector<state_change> changes;
  std::vector<error_report> errors;
  std::vector<outbox_message> outbox;  // New messages for the broker.
  std::vector<int64_t> published;      // Outbox messages the broker confirmed.

  bool empty() const {
    return new_orders.empty() && changes.empty() && errors.empty() && outbox.empty()
           && published.empty();
  }

  size_t size() const {
    return new_orders.size() + changes.size() + errors.size() + outbox.size() + published.size();
  }

  void clear() {
    new_orders.clear();
    changes.clear();
    errors.clear();
    outbox.clear();
    published.clear();
  }
};

// An order as stored, with its sequence number in the store.
struct stored_entry {
  int64_t seq = 0;
  stored_order item;
  int32_t next_event = 1;  // The `n` of the order's next event.
  int64_t epoch = 1;       // Raised at each move to another owner.
};

class order_store {
public:
  virtual ~order_store() = default;

  // Commits `batch` atomically. Returns the sequence number of each new order, in order, or
  // 0 for an order whose id the store already held.
  virtual caf::expected<std::vector<int64_t>> commit(const journal_batch& batch) = 0;

  // Checks that a commit could take the store's write lock now, writing nothing; the error
  // says why not. The journal asks while commits fail and it has nothing to commit.
  virtual caf::error probe() = 0;

  // Every order not in a final state that this store's node may resume, VIP first, then oldest
  // first. On a cluster those are the node's own; the store takes them for its new run.
  virtual caf::expected<std::vector<stored_entry>> unfinished() = 0;

  // The orders of the last successful commit whose changes were not written because another
  // node owns them now (a store without owners has none).
  virtual std::vector<int64_t> fenced() {
    return {};
  }

  // Takes the unfinished orders of regions `regions` owned by the node `from`, as long as that
  // node is down (no heartbeat for `lease`), raising their epoch and recording a takeover event
  // for each; VIP first, then oldest first. Several nodes may ask at once: one gets them.
  virtual caf::expected<std::vector<stored_entry>> take_over(
    const std::string& from, const std::vector<std::string>& regions, caf::timespan lease) {
    static_cast<void>(from);
    static_cast<void>(regions);
    static_cast<void>(lease);
    return caf::make_error(caf::sec::runtime_error, "this journal serves one node");
  }

  // Totals over every finished order.
  virtual caf::expected<totals> finished_totals() = 0;

  // Counts a recovery attempt for each of the orders.
  virtual caf::error count_recovery(const std::vector<int64_t>& seqs) = 0;

  // The outbox messages after `after`, oldest first, at most `limit`.
  virtual caf::expected<outbox_page> outbox(int64_t after, size_t limit) = 0;

  // Moves every dead-lettered order back to `received` with its recovery count reset, so the
  // next start re-queues it. Returns how many moved.
  virtual caf::expected<uint64_t> replay_dead_letters() = 0;
};

}  // namespace ordernode
