#include "runtime/metrics/metrics_endpoint.hpp"

#include <exception>

#include <prometheus/exposer.h>

#include "runtime/errors.hpp"

namespace ordernode {

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
    // One thread: scrapes are rare and each renders everything anyway.
    auto exposer = std::make_unique<prometheus::Exposer>(bind, 1);
    return std::make_unique<metrics_endpoint>(std::move(exposer), std::move(metrics));
  } catch (const std::exception& ex) {
    return make_error(errc::bad_config,
                      "metrics.bind: cannot listen on " + bind + ": " + ex.what());
  }
}

}  // namespace ordernode
