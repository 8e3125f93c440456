#include <stdexcept>

#include "runtime/external/processing_system.hpp"
#include "runtime/core/random.hpp"

namespace ordernode {

namespace {

class mock_processing : public processing_system {
public:
  explicit mock_processing(const mock_processing_options& options) : options_(options) {}

  caf::timespan latency(const order&) override {
    return options_.latency;
  }

  std::string process(const order& x) override {
    if (!options_.fail_match.empty()
        && x.product_name.find(options_.fail_match) != std::string::npos)
      throw std::runtime_error("processing system refuses product '" + x.product_name + "'");
    if (chance(options_.failure_rate))
      throw std::runtime_error("processing system failed (simulated)");
    return "Order " + x.id + " (" + x.product_name + ") completed";
  }

private:
  mock_processing_options options_;
};

}  // namespace

std::shared_ptr<processing_system> make_mock_processing(const mock_processing_options& options) {
  return std::make_shared<mock_processing>(options);
}

}  // namespace ordernode
