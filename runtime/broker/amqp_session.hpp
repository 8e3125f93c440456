// One blocking AMQP 0-9-1 connection with one channel (librabbitmq), for the broker's own thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

struct amqp_connection_state_t_;

namespace ordernode {

// A message to publish: persistent, with its message id and a trace id header.
struct amqp_message {
  std::string exchange;
  std::string routing_key;
  std::string message_id;
  std::string trace_id;
  std::string body;
};

// A message the broker delivered to a consumer of this session.
struct amqp_delivery {
  uint64_t tag = 0;
  std::string exchange;
  std::string routing_key;
  std::string message_id;
  std::string trace_id;
  std::string body;
  bool redelivered = false;
};

// What a passive queue declaration tells.
struct amqp_queue_info {
  uint64_t messages = 0;
  uint64_t consumers = 0;
};

// Not thread-safe: one thread owns a session. Every call that fails leaves the session closed;
// open a new one to reconnect.
class amqp_session {
public:
  ~amqp_session();

  amqp_session(const amqp_session&) = delete;
  amqp_session& operator=(const amqp_session&) = delete;

  // Connects to `url` (amqp://user:pass@host:port/vhost) and opens channel 1.
  static caf::expected<std::unique_ptr<amqp_session>> open(const std::string& url,
                                                           std::chrono::milliseconds timeout);

  bool is_open() const {
    return conn_ != nullptr;
  }

  // Declares a durable exchange of `type` ("topic", "direct", "fanout").
  caf::error declare_exchange(const std::string& name, const std::string& type);

  // Declares a durable queue and binds it to `exchange` with each key.
  caf::error declare_queue(const std::string& name, const std::string& exchange,
                           const std::vector<std::string>& keys);

  caf::expected<amqp_queue_info> inspect_queue(const std::string& name);

  // Deletes a queue with whatever it holds, or an exchange.
  caf::error delete_queue(const std::string& name);
  caf::error delete_exchange(const std::string& name);

  // Puts the channel in confirm mode.
  caf::error enable_confirms();

  // Publishes every message and waits until the broker confirmed all of them, at most
  // `timeout`. A nack is an error naming how many the broker refused.
  caf::error publish_confirmed(const std::vector<amqp_message>& xs,
                               std::chrono::milliseconds timeout);

  // Starts consuming `queue` with at most `prefetch` unacknowledged deliveries; with
  // `auto_ack` the broker counts each delivery acknowledged as it sends it.
  caf::error consume(const std::string& queue, uint16_t prefetch, bool auto_ack = false);

  // Waits at most `timeout` for the next delivery; nullopt when none came.
  caf::expected<std::optional<amqp_delivery>> next(std::chrono::milliseconds timeout);

  // Acknowledges `tag`; with `multiple` every unacknowledged delivery up to it as well.
  caf::error ack(uint64_t tag, bool multiple = false);

  // Rejects a delivery; with `requeue` the broker delivers it again.
  caf::error reject(uint64_t tag, bool requeue);

private:
  amqp_session() = default;

  caf::error fail(const std::string& what, int status);
  caf::error fail_rpc(const std::string& what);
  void close();

  ::amqp_connection_state_t_* conn_ = nullptr;
  uint64_t next_publish_tag_ = 1;
  bool confirms_ = false;
};

}  // namespace ordernode
