#include <mutex>
#include <stdexcept>

#include <caf/sec.hpp>

#include "runtime/core/errors.hpp"
#include "runtime/external/shipping_system.hpp"
#include "runtime/core/random.hpp"
#include "runtime/external/shipment_ledger.hpp"

namespace ordernode {

namespace {

class mock_shipping : public shipping_system {
public:
  mock_shipping(const mock_shipping_options& options, std::unique_ptr<shipment_ledger> ledger)
      : options_(options), ledger_(std::move(ledger)) {}

  caf::timespan latency(const order& x) override {
    if (!options_.hang_match.empty()
        && x.product_name.find(options_.hang_match) != std::string::npos)
      return std::chrono::hours(24 * 365);
    return options_.latency;
  }

  caf::expected<std::string> ship(const order& x, int32_t attempt) override {
    // Like a real carrier with idempotency keys: a second request for a shipped order ships
    // nothing and answers with the first shipment, so a retry after a crash, or on another node
    // that took the order over, cannot ship it twice or turn it into a failed one.
    std::lock_guard<std::mutex> guard{mtx_};
    if (ledger_) {
      auto first = ledger_->find(x.id);
      if (!first || !first->empty())
        return first;
    }
    if (!options_.fail_match.empty() && attempt <= options_.fail_first
        && x.product_name.find(options_.fail_match) != std::string::npos)
      return caf::make_error(caf::sec::runtime_error,
                             "carrier rejected attempt " + std::to_string(attempt));
    if (chance(options_.failure_rate))
      return caf::make_error(caf::sec::runtime_error, "carrier unavailable (simulated)");
    auto tracking = "TRK-" + x.id;
    return ledger_ ? ledger_->record(x.id, tracking) : tracking;
  }

private:
  mock_shipping_options options_;
  std::mutex mtx_;
  std::unique_ptr<shipment_ledger> ledger_;
};

}  // namespace

caf::expected<std::shared_ptr<shipping_system>> open_mock_shipping(
  const mock_shipping_options& options) {
  std::unique_ptr<shipment_ledger> ledger;
  if (!options.ledger.empty()) {
    auto opened = shipment_ledger::open(options.ledger);
    if (!opened)
      return opened.error();
    ledger = std::move(*opened);
  }
  return std::shared_ptr<shipping_system>{
    std::make_shared<mock_shipping>(options, std::move(ledger))};
}

std::shared_ptr<shipping_system> make_mock_shipping(const mock_shipping_options& options) {
  auto result = open_mock_shipping(options);
  if (!result)
    throw std::runtime_error(describe(result.error()));
  return std::move(*result);
}

}  // namespace ordernode
