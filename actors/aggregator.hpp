// The aggregator: totals of finished orders, overall and per region.
#pragma once

#include <vector>

#include <caf/actor.hpp>

#include "runtime/core/stages.hpp"

namespace ordernode {

struct aggregator_state {
  totals current;
  std::vector<caf::actor> subscribers;

  static inline const char* name = "aggregator";
};

using aggregator_pointer = aggregator_actor::stateful_pointer<aggregator_state>;

// Adds one committed batch of finished orders to `x`.
void add_finished(totals& x, const std::vector<finished_order>& batch);

// Subscribes to the journal's committed finished orders (starting from the totals already in
// the journal, so a restart never counts an order twice), logs the totals every
// `report_interval` and publishes them to its subscribers after every change.
aggregator_actor::behavior_type aggregator(aggregator_pointer self, journal_actor journal,
                                           caf::timespan report_interval);

}  // namespace ordernode
