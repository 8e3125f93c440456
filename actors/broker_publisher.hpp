// The broker publisher: drains the journal's outbox into RabbitMQ with publisher confirms.
#pragma once

#include <memory>
#include <string>

#include "runtime/broker/amqp_session.hpp"
#include "runtime/broker/broker_options.hpp"
#include "runtime/broker/reconnect_backoff.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

using broker_publisher_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;

struct broker_publisher_state {
  std::unique_ptr<amqp_session> session;
  int64_t cursor = 0;  // The last outbox seq published on the current connection.
  reconnect_backoff backoff{caf::timespan{0}, caf::timespan{0}};

  static inline const char* name = "broker_publisher";
};

// Owns one AMQP connection on its own thread (spawn it detached): declares the topology,
// publishes each page of the outbox, waits for the broker's confirms, then tells the journal
// to drop what was confirmed. A publish that fails or goes unconfirmed closes the connection;
// the publisher reconnects with doubling backoff and publishes the outbox again from its
// start, so every message goes out at least once (consumers deduplicate by message id).
broker_publisher_actor::behavior_type broker_publisher(
  broker_publisher_actor::stateful_pointer<broker_publisher_state> self, broker_options options,
  std::vector<std::string> regions, outbox_actor outbox, broker_monitor_ref monitor,
  std::shared_ptr<node_metrics> metrics);

// Declares the durable topic exchanges for orders and results, and the durable queue of each
// region bound to the orders exchange by its name, so that no order finds no queue.
caf::error declare_topology(amqp_session& session, const broker_options& options,
                            const std::vector<std::string>& regions);

}  // namespace ordernode
