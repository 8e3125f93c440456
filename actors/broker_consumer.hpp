// The broker consumer: takes orders from the region queues into the local flow, acking each
// delivery only once the journal holds its order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/broker/ack_window.hpp"
#include "runtime/broker/amqp_session.hpp"
#include "runtime/broker/broker_options.hpp"
#include "runtime/broker/reconnect_backoff.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

using broker_consumer_actor =
  admission_listener::extend<caf::reacts_to<tick_atom>, caf::reacts_to<retry_atom, std::string>>;

struct broker_consumer_state {
  // An order handed to the intake, and every delivery of it still unacknowledged.
  struct held {
    order item;
    std::vector<uint64_t> tags;
    std::chrono::steady_clock::time_point submitted;
  };

  std::unique_ptr<amqp_session> session;
  std::vector<std::string> queues;
  std::unordered_map<std::string, held> orders;
  ack_window acks;
  reconnect_backoff backoff{caf::timespan{0}, caf::timespan{0}};
  std::chrono::steady_clock::time_point next_inspection;
  std::chrono::steady_clock::time_point reconnect_at;

  static inline const char* name = "broker_consumer";
};

// Owns one AMQP connection on its own thread (spawn it detached). Consumes the queue
// `queue_prefix + region` of each region (bound to the orders exchange by that region) when
// `options.consume`, and this node's results queue for the monitor when `options.publish`. Each
// order goes to the intake with `take`; its deliveries are acked once the journal holds it
// (accepted or a duplicate), and submitted again after a pause while the intake is full, or when no
// answer came within a few seconds (an intake that restarted meanwhile). A body that is no order is
// rejected (not requeued) and reported to the error channel. After a lost connection it reconnects
// with doubling backoff; the broker redelivers what was not acked.
broker_consumer_actor::behavior_type broker_consumer(
  broker_consumer_actor::stateful_pointer<broker_consumer_state> self, broker_options options,
  std::vector<std::string> regions, intake_ref intake, error_channel_ref errors,
  broker_monitor_ref monitor, std::shared_ptr<node_metrics> metrics);

// The queue that collects the results for the node `node_id`.
std::string results_queue(const broker_options& options);

}  // namespace ordernode
