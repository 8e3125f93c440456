// The mock carrier's record of shipments: one file, shared by every process that names it.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include <caf/expected.hpp>

namespace ordernode {

// One line "ORDER_ID TRACKING" per shipped order. Every lookup and every new line happens under
// an exclusive lock of the whole file (flock), after reading what other processes appended, so
// nodes that share the file ship each order once: the carrier's idempotency key is the order id.
class shipment_ledger {
public:
  static caf::expected<std::unique_ptr<shipment_ledger>> open(const std::string& path);

  ~shipment_ledger();

  shipment_ledger(const shipment_ledger&) = delete;
  shipment_ledger& operator=(const shipment_ledger&) = delete;

  // The tracking number `id` was shipped with, if any process shipped it.
  caf::expected<std::string> find(const std::string& id);

  // Records `id` as shipped with `tracking`, unless it was shipped before; returns the tracking
  // number of its one shipment.
  caf::expected<std::string> record(const std::string& id, const std::string& tracking);

private:
  explicit shipment_ledger(int fd) : fd_(fd) {}

  // Reads the lines appended since the last read; call under the lock.
  caf::error catch_up();

  int fd_;
  long offset_ = 0;
  std::string partial_;  // A line not yet complete.
  std::unordered_map<std::string, std::string> shipped_;
};

}  // namespace ordernode
