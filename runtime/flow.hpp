// The order flow: every stage spawned and wired in one place.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/watchdog.hpp"
#include "runtime/config.hpp"
#include "runtime/external/processing_system.hpp"
#include "runtime/external/shipping_system.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/stages.hpp"
#include "runtime/store/order_store.hpp"

namespace ordernode {

// The external systems the flow talks to; the node picks mocks or real ones from the config.
struct externals {
  std::shared_ptr<order_store> store;
  std::shared_ptr<processing_system> processing;
  std::shared_ptr<shipping_system> shipping;
  std::shared_ptr<node_metrics> metrics;  // Null: the flow records into metrics of its own.
};

// The handles the node, its tests and its interfaces need.
struct flow {
  journal_actor journal;
  notifier_actor notifier;
  error_channel_actor errors;
  aggregator_actor aggregator;
  shipper_actor shipper;
  std::map<std::string, dispatcher_actor> dispatchers;
  validator_actor validator;
  intake_actor intake;
  source_actor source;      // Invalid when source.enabled is off.
  watchdog_actor watchdog;  // Invalid when watchdog.enabled is off.
  std::shared_ptr<node_metrics> metrics;

  // Every stage, upstream first.
  std::vector<caf::actor> stages() const;
};

// Spawns the stages from the sink back to the source, each with its downstream handles.
flow build_flow(caf::actor_system& sys, const node_config& cfg, externals ext);

// Lets the notifier send what it holds, for at most `deadline`.
void flush_notifications(caf::actor_system& sys, const flow& f, caf::timespan deadline);

// Sends every stage an exit message, upstream first.
void stop_flow(const flow& f);

}  // namespace ordernode
