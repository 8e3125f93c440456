#include "runtime/errors.hpp"
#include "runtime/external/shipping_system.hpp"
#include "runtime/random.hpp"

namespace ordernode {

namespace {

class mock_shipping : public shipping_system {
public:
  explicit mock_shipping(const shipper_options& options) : options_(options) {
  }

  caf::timespan latency(const order&) override {
    return options_.latency;
  }

  caf::expected<std::string> ship(const order& x, int32_t attempt) override {
    if (!options_.fail_match.empty() && attempt <= options_.fail_first
        && x.product_name.find(options_.fail_match) != std::string::npos)
      return caf::make_error(caf::sec::runtime_error,
                             "carrier rejected attempt " + std::to_string(attempt));
    if (chance(options_.failure_rate))
      return caf::make_error(caf::sec::runtime_error, "carrier unavailable (simulated)");
    return "TRK-" + x.id.substr(0, 8);
  }

private:
  shipper_options options_;
};

}  // namespace

std::shared_ptr<shipping_system> make_mock_shipping(const shipper_options& options) {
  return std::make_shared<mock_shipping>(options);
}

}  // namespace ordernode
