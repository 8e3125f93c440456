// What the HTTP server reaches of the node: the flow's entry points and a few facts about it,
// never the whole flow or its configuration.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "runtime/core/cluster_facts.hpp"
#include "runtime/core/order_rules.hpp"
#include "runtime/core/stages.hpp"
#include "runtime/store/journal_location.hpp"

namespace ordernode {

struct http_port {
  intake_ref intake;            // Takes the submitted orders.
  aggregator_ref aggregator;    // Answers GET /api/stats.
  journal_actor journal;        // Feeds /ws with its committed changes.
  journal_location journal_at;  // Read by GET /api/orders on threads of the server's own.
  std::set<std::string> regions;
  order_rules rules;
  std::function<bool()> journal_failing;  // True while journal commits fail; may be empty.
  cluster_facts cluster;
};

}  // namespace ordernode
