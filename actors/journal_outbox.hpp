// The journal's outbox: what the broker gets of the committed orders. It turns forwarded orders
// and finished orders into messages with their payloads encoded, withdraws those of a failed
// commit, pages through what waits and removes what the broker confirmed; the journal commits
// its messages together with the orders they belong to.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/core/outbox.hpp"
#include "runtime/store/order_store.hpp"

namespace ordernode {

// Where the outbox sends what: orders forwarded to the broker, and results.
struct outbox_options {
  std::string exchange = "orders";
  std::string results_exchange;  // Empty: finished orders are not published.
  std::string node_id;           // Named in each result.
};

class journal_outbox {
public:
  journal_outbox() = default;

  explicit journal_outbox(outbox_options options) : options_(std::move(options)) {}

  // The message that takes `x` to the queue of its region.
  outbox_message forward(const order& x) const;

  // The result of a finished order, unless results are off.
  std::optional<outbox_message> result(const finished_order& x) const;

  // Takes the forwards of `ids` out of `batch`: their commit failed, they were refused.
  void withdraw(journal_batch& batch, const std::set<std::string>& ids) const;

  // The waiting messages after `after`, at most `limit` (at least 1).
  caf::expected<outbox_page> page(order_store& store, int64_t after, int32_t limit) const;

  // Removes the messages the broker confirmed, in the next commit.
  void confirm(journal_batch& batch, const std::vector<int64_t>& seqs) const;

private:
  outbox_options options_;
};

}  // namespace ordernode
