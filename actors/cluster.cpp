#include "actors/cluster.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"

namespace ordernode {

cluster_actor::behavior_type cluster(cluster_actor::stateful_pointer<cluster_state> self,
                                     cluster_options options, std::shared_ptr<membership> members,
                                     std::vector<std::string> regions, journal_actor journal,
                                     intake_ref intake, std::shared_ptr<node_metrics> metrics,
                                     std::function<void(const std::string&)> lost) {
  self->state.members = std::move(members);
  metrics = or_unrecorded(std::move(metrics));
  auto take_over = [=](const std::string& from, uint64_t orders) {
    auto& st = self->state;
    st.taking_over = true;
    if (st.down.insert(from).second)
      spdlog::warn("node {} is down with {} unfinished orders; taking them over",
                   from.empty() ? "(no id)" : from, orders);
    self->request(journal, caf::infinite, take_over_atom::value, from, regions, options.lease)
      .then(
        [=](std::vector<stored_order>& xs) {
          self->state.taking_over = false;
          if (!xs.empty())
            self->send(intake.get(), resume_atom::value, std::move(xs));
        },
        [=](const caf::error& err) {
          self->state.taking_over = false;
          spdlog::error("cannot take over the orders of node {}: {}", from, describe(err));
        });
  };
  auto beat = [=] {
    auto& st = self->state;
    auto counts = metrics->counts();
    auto finished = counts.completed + counts.failed;
    auto at = now();
    node_load load;
    load.in_flight = static_cast<uint64_t>(std::max(0.0, metrics->in_flight().Value()));
    load.finished = static_cast<uint64_t>(finished);
    if (st.last_beat > 0 && at > st.last_beat)
      load.finished_rate = (finished - st.finished) / ((at - st.last_beat) / 1e9);
    st.finished = finished;
    st.last_beat = at;
    if (auto err = st.members->beat(load)) {
      if (err.category() == caf::atom("ordernode")
          && err.code() == static_cast<uint8_t>(errc::node_id_taken)) {
        spdlog::critical("{}; this node stops", describe(err));
        st.beating = false;
        if (lost)
          lost(describe(err));
      } else {
        spdlog::error("cluster heartbeat failed: {}", describe(err));
      }
      return false;
    }
    return true;
  };
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      auto& st = self->state;
      if (!st.beating)
        return;
      self->delayed_send(self, options.heartbeat, tick_atom::value);
      if (!beat() || st.taking_over)
        return;
      auto orphans = st.members->orphans(regions, options.lease);
      if (!orphans) {
        spdlog::error("cluster cannot look for nodes that are down: {}", describe(orphans.error()));
        return;
      }
      if (orphans->empty())
        st.down.clear();
      else {
        // In turns: a node whose takeover keeps failing does not hold up the others.
        auto& x = (*orphans)[st.turn++ % orphans->size()];
        take_over(x.node, x.orders);
      }
    },
    [=](leave_atom) {
      auto& st = self->state;
      st.beating = false;
      if (auto err = st.members->leave()) {
        spdlog::error("cannot mark this node gone in the cluster: {}", describe(err));
        return false;
      }
      return true;
    },
  };
}

option_table option_table_of(cluster_options& x) {
  option_table result{"cluster"};
  result
    .add(x.enabled, "enabled",
         "run as a member of the cluster on a PostgreSQL journal (an SQLite journal: one node)")
    .add(x.heartbeat, "heartbeat", "time between two heartbeats of this node", span_rule::positive)
    .add(x.lease, "lease", "a node without a heartbeat this long is down: its orders move",
         span_rule::positive)
    .rule("lease", [&x] {
      return x.lease >= 3 * x.heartbeat
               ? std::string{}
               : std::string{"must be at least three heartbeats (cluster.heartbeat)"};
    });
  return result;
}

}  // namespace ordernode
