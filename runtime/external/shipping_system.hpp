// The external shipping system the shipper hands each processed order to.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "runtime/core/messages.hpp"

namespace ordernode {

// The knobs of the mock (config keys shipper.*).
struct mock_shipping_options {
  caf::timespan latency = std::chrono::milliseconds(10);
  double failure_rate = 0.05;
  std::string fail_match;
  int32_t fail_first = 0;
  std::string hang_match;  // Products containing this never get an answer from the mock.
  std::string ledger;      // The mock carrier's record of shipments, one line per order.
};

class shipping_system {
public:
  virtual ~shipping_system() = default;

  // How long one attempt for `x` takes; the shipper waits with a delayed message.
  virtual caf::timespan latency(const order& x) = 0;

  // Ships `x` (idempotent by order id); `attempt` counts from 1. Returns a tracking number.
  virtual caf::expected<std::string> ship(const order& x, int32_t attempt) = 0;
};

// A mock with configurable latency, random failures and deterministic faults: products
// containing `fail_match` fail their first `fail_first` attempts, products containing
// `hang_match` never get an answer. With `ledger`, every node naming the same file shares one
// carrier that ships each order once; a ledger that cannot be opened is an error.
caf::expected<std::shared_ptr<shipping_system>> open_mock_shipping(
  const mock_shipping_options& options);

// The same, throwing std::runtime_error on an unusable ledger (tests and tools).
std::shared_ptr<shipping_system> make_mock_shipping(const mock_shipping_options& options);

}  // namespace ordernode
