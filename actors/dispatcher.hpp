// The dispatcher of one region: queues orders VIP first and hands them to its processors.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/metrics/node_metrics.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

// Spawns processor number `index` of `owner`, reporting to `owner`.
using processor_factory =
  std::function<processor_actor(caf::actor_system&, dispatcher_actor owner, size_t index)>;

struct dispatcher_state {
  struct worker {
    processor_actor handle;
    size_t held = 0;
    uint64_t restarts = 0;
  };

  std::string region;
  size_t credits = 1;
  processor_factory factory;
  std::deque<order> vip;
  std::deque<order> normal;
  std::vector<worker> workers;
  std::unordered_map<std::string, std::pair<size_t, order>> held;  // id -> (worker, order)
  std::unordered_set<std::string> queued;                          // Ids in vip or normal.
  std::shared_ptr<node_metrics> metrics;
  region_metrics* gauges = nullptr;
  stage_metrics stage;

  static inline const char* name = "dispatcher";
};

using dispatcher_pointer = dispatcher_actor::stateful_pointer<dispatcher_state>;

// Owns `workers` processors (monitored, restarted when one dies; they stop with it). Each
// holds at most `credits` orders; the rest wait here, every VIP order ahead of every normal
// one. When a processor dies, the orders it held go back to the front of the queue. An order
// already queued or held is not taken twice. Records its queue depth, the orders its
// processors hold, busy processors and restarts.
dispatcher_actor::behavior_type dispatcher(dispatcher_pointer self, std::string region,
                                           int32_t workers, int32_t credits,
                                           processor_factory factory,
                                           std::shared_ptr<node_metrics> metrics);

}  // namespace ordernode
