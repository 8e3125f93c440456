// The typed messages that travel between the stages of the order flow.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "runtime/core/order_state.hpp"
#include "runtime/core/refusal.hpp"
#include "runtime/core/stage_id.hpp"

namespace ordernode {

// UTC nanoseconds since the Unix epoch.
using timestamp = int64_t;

timestamp now();

// An order as it enters the flow; immutable once accepted by the journal.
struct order {
  std::string id;
  std::string product_name;
  int32_t quantity = 0;
  std::string region;
  std::string customer;
  bool vip = false;
  timestamp created_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order& x) {
  return f(caf::meta::type_name("order"), x.id, x.product_name, x.quantity, x.region, x.customer,
           x.vip, x.created_at);
}

// One state change of one order, as the journal records it.
struct order_event {
  std::string order_id;
  order_state state = order_state::received;
  stage_id stage = stage_id::intake;
  std::string detail;
  timestamp at = 0;
  // The shipper's attempt this event starts (due 0) or plans at `due`: a node that resumes the
  // order, after a crash or a takeover, goes on with that attempt at that time.
  int32_t attempt = 0;
  timestamp due = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_event& x) {
  return f(caf::meta::type_name("order_event"), x.order_id, x.state, x.stage, x.detail, x.at,
           x.attempt, x.due);
}

// An error of any stage, routed to the error channel.
struct error_report {
  std::string order_id;  // Empty for errors that concern no single order.
  stage_id stage = stage_id::intake;
  error_type type = error_type::processing;
  std::string cause;
  timestamp at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, error_report& x) {
  return f(caf::meta::type_name("error_report"), x.order_id, x.stage, x.type, x.cause, x.at);
}

// An order that reached a final state, published by the journal after the commit.
struct finished_order {
  order item;
  order_state state = order_state::completed;
  std::string detail;
  timestamp at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, finished_order& x) {
  return f(caf::meta::type_name("finished_order"), x.item, x.state, x.detail, x.at);
}

// A committed state change of an order with the fields a live view shows, published by the
// journal after the commit to its change listeners.
struct order_change {
  order_event event;
  std::string product_name;
  std::string region;
  std::string customer;
  int32_t quantity = 0;
  bool vip = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_change& x) {
  return f(caf::meta::type_name("order_change"), x.event, x.product_name, x.region, x.customer,
           x.quantity, x.vip);
}

// An unfinished order read back from the journal for recovery.
struct stored_order {
  order item;
  order_state state = order_state::received;
  int32_t recoveries = 0;
  int32_t attempt = 0;  // The shipping attempt it was at or waits for (order_event::attempt).
  timestamp due = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_order& x) {
  return f(caf::meta::type_name("stored_order"), x.item, x.state, x.recoveries, x.attempt, x.due);
}

// Counts and quantity sums of one region, or of all.
struct region_totals {
  uint64_t completed = 0;
  int64_t quantity = 0;
  uint64_t failed = 0;
  uint64_t rejected = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, region_totals& x) {
  return f(caf::meta::type_name("region_totals"), x.completed, x.quantity, x.failed, x.rejected);
}

// The aggregator's statistics.
struct totals {
  region_totals all;
  std::map<std::string, region_totals> by_region;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, totals& x) {
  return f(caf::meta::type_name("totals"), x.all, x.by_region);
}

inline bool operator==(const region_totals& x, const region_totals& y) {
  return x.completed == y.completed && x.quantity == y.quantity && x.failed == y.failed
         && x.rejected == y.rejected;
}

// The final state of an order as one node tells the others (the broker's results exchange).
struct order_result {
  std::string order_id;
  order_state state = order_state::completed;
  std::string detail;
  std::string node;
  timestamp at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_result& x) {
  return f(caf::meta::type_name("order_result"), x.order_id, x.state, x.detail, x.node, x.at);
}

// Whether an order was newly recorded, already known (at-least-once delivery), or recorded in
// the outbox for the broker instead of the local flow.
enum class admission : uint8_t { accepted, duplicate, forwarded };

std::string to_string(admission x);

// The outcome of one submission, for clients that take outcomes in batches.
struct admission_note {
  std::string order_id;
  admission outcome = admission::accepted;
  refusal refused = refusal::none;  // Set instead of `outcome` when the order was not taken.
  std::string detail;               // Why, for the log and the client.

  static admission_note taken_as(std::string id, admission outcome) {
    return {std::move(id), outcome, refusal::none, {}};
  }

  static admission_note refused_for(std::string id, refusal why, std::string detail) {
    return {std::move(id), admission::duplicate, why, std::move(detail)};
  }

  bool taken() const {
    return refused == refusal::none;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admission_note& x) {
  return f(caf::meta::type_name("admission_note"), x.order_id, x.outcome, x.refused, x.detail);
}

}  // namespace ordernode
