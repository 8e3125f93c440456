// The broker settings of a node: where RabbitMQ is and which roles the node plays there.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/timespan.hpp>

#include "runtime/core/option_table.hpp"

namespace ordernode {

struct broker_options {
  bool enabled = false;
  std::string url = "amqp://guest:guest@127.0.0.1:5672";
  // Orders accepted here (source, HTTP) go to the `orders` exchange through the outbox instead
  // of straight into the local flow.
  bool publish = true;
  // Consume the queue of each of this node's regions and run those orders through the flow.
  bool consume = true;
  // Publish every finished order to the results exchange.
  bool results = true;
  std::string exchange = "orders";
  std::string results_exchange = "order-results";
  std::string queue_prefix = "orders.";  // The queue of region R is queue_prefix + R.
  // Names this node's results queue (`order-results.<node-id>`), used to see orders come back.
  std::string node_id;  // Empty: node.id.
  int32_t prefetch = 500;
  int32_t batch = 1000;  // Outbox messages per publish round; their confirms are awaited together.
  caf::timespan poll_interval = std::chrono::milliseconds(20);
  caf::timespan reconnect_delay = std::chrono::milliseconds(250);
  caf::timespan max_reconnect_delay = std::chrono::seconds(10);
  caf::timespan confirm_timeout = std::chrono::seconds(10);
  // A published order whose result has not come back after this long is reported lost.
  caf::timespan result_deadline = std::chrono::seconds(60);
  // A result that comes back later than this after its publish is reported as delayed.
  caf::timespan delay_threshold = std::chrono::seconds(10);
};

// The config keys broker.*.
option_table option_table_of(broker_options& x);

}  // namespace ordernode
