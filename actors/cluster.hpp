// The cluster member: keeps this node's heartbeat and takes over the orders of nodes that are down.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/core/option_table.hpp"
#include "runtime/core/stages.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/store/membership.hpp"

namespace ordernode {

using leave_atom = caf::atom_constant<caf::atom("leave")>;

// Beats, and answers `leave` once this node is marked gone.
using cluster_actor =
  caf::typed_actor<caf::reacts_to<tick_atom>, caf::replies_to<leave_atom>::with<bool>>;

struct cluster_options {
  bool enabled = true;  // With a PostgreSQL journal; an SQLite journal serves one node.
  caf::timespan heartbeat = std::chrono::seconds(1);
  caf::timespan lease = std::chrono::seconds(10);  // A node this long without a heartbeat is down.
};

// The config keys cluster.*.
option_table option_table_of(cluster_options& x);

struct cluster_state {
  std::shared_ptr<membership> members;
  std::set<std::string> down;  // Nodes seen down with orders, for one log line each.
  bool taking_over = false;
  bool beating = true;  // False once the node left or its id was taken.
  size_t turn = 0;      // Which of several down nodes to take over next.
  double finished = 0;
  timestamp last_beat = 0;

  static inline const char* name = "cluster";
};

// Every `heartbeat`, renews this node's row in `members` with its load, then looks for nodes
// down past `lease` that own unfinished orders of `regions`; asks the journal to take those
// over (one node at a time, in turns) and hands them to the intake, which resumes each from its
// last recorded state, VIP first. Once another process took this node's id (this one was away
// past its lease), it calls `lost`: the node must stop. Run it detached: the membership blocks
// on the database.
cluster_actor::behavior_type cluster(cluster_actor::stateful_pointer<cluster_state> self,
                                     cluster_options options, std::shared_ptr<membership> members,
                                     std::vector<std::string> regions, journal_actor journal,
                                     intake_ref intake, std::shared_ptr<node_metrics> metrics,
                                     std::function<void(const std::string&)> lost);

}  // namespace ordernode
