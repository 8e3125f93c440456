#include "runtime/broker/broker_options.hpp"

namespace ordernode {

option_table option_table_of(broker_options& x) {
  auto positive = span_rule::positive;
  option_table result{"broker"};
  result.add(x.enabled, "enabled", "connect to RabbitMQ (off: the node runs without a broker)")
    .add(x.url, "url", "amqp://user:password@host:port of the broker")
    .add(x.publish, "publish",
         "send accepted orders through the broker instead of straight into the local flow")
    .add(x.consume, "consume", "consume the queues of this node's regions")
    .add(x.results, "results", "publish each finished order to the results exchange")
    .add(x.exchange, "exchange", "topic exchange of orders, routed by region", text_rule::not_empty)
    .add(x.results_exchange, "results-exchange", "topic exchange of results", text_rule::not_empty)
    .add(x.queue_prefix, "queue-prefix", "queue of region R: this prefix followed by R",
         text_rule::not_empty)
    .add(x.node_id, "node-id", "names this node's results queue; unique per node (empty: node.id)")
    .add(x.prefetch, "prefetch", "unacknowledged deliveries per queue, at most", 1, 65535)
    .add(x.batch, "batch", "outbox messages published per round of confirms", 1, 100000)
    .add(x.poll_interval, "poll-interval", "time between two looks into an empty outbox", positive)
    .add(x.reconnect_delay, "reconnect-delay", "first delay before a reconnect, doubling", positive)
    .add(x.max_reconnect_delay, "max-reconnect-delay", "longest delay before a reconnect", positive)
    .add(x.confirm_timeout, "confirm-timeout",
         "connect timeout, and the longest wait for publisher confirms", positive)
    .add(x.result_deadline, "result-deadline",
         "report a published order lost when its result takes longer", positive)
    .add(x.delay_threshold, "delay-threshold",
         "report a result that comes back later than this after its publish", positive)
    .rule("url",
          [&x] {
            return x.url.rfind("amqp://", 0) != 0 ? "must start with amqp://, got \"" + x.url + "\""
                                                  : std::string{};
          })
    .rule("results-exchange",
          [&x] {
            return x.results_exchange == x.exchange ? "must differ from broker.exchange"
                                                    : std::string{};
          })
    .rule("reconnect-delay", [&x] {
      return x.reconnect_delay > x.max_reconnect_delay
               ? "must not exceed broker.max-reconnect-delay"
               : std::string{};
    });
  return result;
}

}  // namespace ordernode
