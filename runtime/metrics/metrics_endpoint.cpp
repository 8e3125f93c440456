#include "runtime/metrics/metrics_endpoint.hpp"

#include <exception>
#include <string>
#include <vector>

#include <prometheus/exposer.h>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

constexpr int metrics_threads = 4;
constexpr int metrics_read_timeout_ms = 1000;

}  // namespace

metrics_endpoint::metrics_endpoint(std::unique_ptr<prometheus::Exposer> exposer,
                                   std::shared_ptr<node_metrics> metrics)
    : exposer_(std::move(exposer)), metrics_(std::move(metrics)) {
  for (auto& c : metrics_->collectables())
    exposer_->RegisterCollectable(c);
}

metrics_endpoint::~metrics_endpoint() = default;

int metrics_endpoint::port() const {
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

caf::expected<std::unique_ptr<metrics_endpoint>> serve_metrics(
  std::shared_ptr<node_metrics> metrics, const std::string& bind) {
  try {
    // Scrapes are rare, but a client that connects and sends nothing holds a worker until
    // civetweb's read timeout: a few workers and a one-second timeout keep scrapes going.
    auto exposer = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
      "listening_ports", bind, "num_threads", std::to_string(metrics_threads), "request_timeout_ms",
      std::to_string(metrics_read_timeout_ms), "enable_keep_alive", "no"});
    return std::make_unique<metrics_endpoint>(std::move(exposer), std::move(metrics));
  } catch (const std::exception& ex) {
    return make_error(errc::bad_config,
                      "metrics.bind: cannot listen on " + bind + ": " + ex.what());
  }
}

}  // namespace ordernode
