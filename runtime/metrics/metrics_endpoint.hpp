// The node's own /metrics listener (prometheus-cpp's Exposer on civetweb): a few workers, and a
// connection that sends no request within a second is closed.
#pragma once

#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "runtime/metrics/node_metrics.hpp"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace ordernode {

// Serves GET /metrics for as long as it lives.
class metrics_endpoint {
public:
  metrics_endpoint(std::unique_ptr<prometheus::Exposer> exposer,
                   std::shared_ptr<node_metrics> metrics);
  ~metrics_endpoint();

  metrics_endpoint(const metrics_endpoint&) = delete;
  metrics_endpoint& operator=(const metrics_endpoint&) = delete;

  // The port it listens on (the one picked when `bind` asked for port 0).
  int port() const;

private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<node_metrics> metrics_;
};

// Listens on `bind` ("host:port"); the error says why it cannot.
caf::expected<std::unique_ptr<metrics_endpoint>> serve_metrics(
  std::shared_ptr<node_metrics> metrics, const std::string& bind);

}  // namespace ordernode
