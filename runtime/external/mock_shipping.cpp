#include <fstream>
#include <mutex>
#include <unordered_map>

#include <caf/sec.hpp>

#include "runtime/core/errors.hpp"
#include "runtime/external/shipping_system.hpp"
#include "runtime/core/random.hpp"

namespace ordernode {

namespace {

class mock_shipping : public shipping_system {
public:
  explicit mock_shipping(const mock_shipping_options& options) : options_(options) {
    if (options_.ledger.empty())
      return;
    std::ifstream in{options_.ledger};
    std::string id, tracking;
    while (in >> id >> tracking)
      shipped_.emplace(id, tracking);
    ledger_.open(options_.ledger, std::ios::app);
  }

  caf::timespan latency(const order& x) override {
    if (!options_.hang_match.empty()
        && x.product_name.find(options_.hang_match) != std::string::npos)
      return std::chrono::hours(24 * 365);
    return options_.latency;
  }

  caf::expected<std::string> ship(const order& x, int32_t attempt) override {
    // Like a real carrier with idempotency keys: a second request for a shipped order ships
    // nothing and answers with the first shipment, so a retry after a crash cannot turn a
    // shipped order into a failed one.
    if (ledger_.is_open()) {
      std::lock_guard<std::mutex> guard{mtx_};
      if (auto i = shipped_.find(x.id); i != shipped_.end())
        return i->second;
    }
    if (!options_.fail_match.empty() && attempt <= options_.fail_first
        && x.product_name.find(options_.fail_match) != std::string::npos)
      return caf::make_error(caf::sec::runtime_error,
                             "carrier rejected attempt " + std::to_string(attempt));
    if (chance(options_.failure_rate))
      return caf::make_error(caf::sec::runtime_error, "carrier unavailable (simulated)");
    auto tracking = "TRK-" + x.id.substr(0, 8);
    if (!ledger_.is_open())
      return tracking;
    std::lock_guard<std::mutex> guard{mtx_};
    auto [i, fresh] = shipped_.emplace(x.id, tracking);
    if (!fresh)
      return i->second;
    ledger_ << x.id << ' ' << tracking << std::endl;
    return tracking;
  }

private:
  mock_shipping_options options_;
  std::mutex mtx_;
  std::unordered_map<std::string, std::string> shipped_;
  std::ofstream ledger_;
};

}  // namespace

std::shared_ptr<shipping_system> make_mock_shipping(const mock_shipping_options& options) {
  return std::make_shared<mock_shipping>(options);
}

}  // namespace ordernode
