// The order flow: every stage spawned, wired and supervised in one place.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/broker_consumer.hpp"
#include "actors/broker_monitor.hpp"
#include "actors/broker_publisher.hpp"
#include "actors/notifier.hpp"
#include "actors/supervisor.hpp"
#include "runtime/core/actor_registry.hpp"
#include "actors/watchdog.hpp"
#include "runtime/http/http_port.hpp"
#include "runtime/node/config.hpp"
#include "runtime/external/processing_system.hpp"
#include "runtime/external/shipping_system.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/core/stages.hpp"
#include "runtime/store/failures_file.hpp"
#include "runtime/store/order_store.hpp"

namespace ordernode {

// The external systems the flow talks to; the node picks mocks or real ones from the config.
struct externals {
  std::shared_ptr<order_store> store;
  std::shared_ptr<processing_system> processing;
  std::shared_ptr<shipping_system> shipping;
  std::shared_ptr<node_metrics> metrics;    // Null: the flow records into metrics of its own.
  std::shared_ptr<failures_file> failures;  // Null: failed orders go to the journal only.
};

// The handles the node, its tests and its interfaces need. The references stay valid across
// restarts of their stages.
struct flow {
  journal_actor journal;
  outbox_actor outbox;  // The journal's outbox interface.
  notifier_ref notifier;
  error_channel_ref errors;
  aggregator_ref aggregator;
  shipper_ref shipper;
  dispatcher_refs dispatchers;
  validator_ref validator;
  intake_ref intake;
  source_ref source;  // Invalid when source.enabled is off.
  supervisor_actor supervisor;
  finished_listener failures;  // Invalid without a failures file.
  watchdog_actor watchdog;     // Invalid when watchdog.enabled is off.
  // Invalid when broker.enabled is off; the monitor also when broker.publish is off.
  stage_ref<broker_publisher_actor> publisher;
  stage_ref<broker_consumer_actor> consumer;
  broker_monitor_ref broker_monitor;
  std::shared_ptr<actor_registry> registry;
  std::shared_ptr<node_metrics> metrics;

  // Every stage's current incarnation, upstream first.
  std::vector<caf::actor> stages() const;
};

// Spawns the stages from the sink back to the source, each with its downstream references,
// and hands them to a supervisor. `give_up` runs when the supervisor stops restarting.
flow build_flow(caf::actor_system& sys, const node_config& cfg, externals ext,
                std::shared_ptr<actor_registry> registry = std::make_shared<actor_registry>(),
                escalation give_up = {});

// Lets the notifier send what it holds, for at most `deadline`.
void flush_notifications(caf::actor_system& sys, const flow& f, caf::timespan deadline);

// What the HTTP server reaches of the flow: the intake, the aggregator, the journal's feed.
http_port http_port_of(const flow& f, const node_config& cfg);

// Stops the supervisor, then sends every stage an exit message, upstream first.
void stop_flow(const flow& f);

}  // namespace ordernode
