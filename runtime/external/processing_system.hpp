// The external system a processor hands each valid order to.
#pragma once

#include <memory>
#include <string>

#include <caf/timespan.hpp>

#include "runtime/core/messages.hpp"

namespace ordernode {

// The knobs of the mock (config keys processor.*).
struct mock_processing_options {
  caf::timespan latency = std::chrono::milliseconds(20);
  double failure_rate = 0.02;
  std::string fail_match;  // Products containing this always fail.
};

class processing_system {
public:
  virtual ~processing_system() = default;

  // How long the system takes for `x`; the processor waits with a delayed message.
  virtual caf::timespan latency(const order& x) = 0;

  // Returns the completion message, or throws when the system fails the order.
  virtual std::string process(const order& x) = 0;
};

// A mock with configurable latency, random failures and failures by product name.
std::shared_ptr<processing_system> make_mock_processing(const mock_processing_options& options);

}  // namespace ordernode
