#include "runtime/store/failures_file.hpp"

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/core/errors.hpp"
#include "runtime/core/time_format.hpp"

namespace ordernode {

caf::expected<std::unique_ptr<failures_file>> failures_file::open(const std::string& path) {
  std::ofstream out{path, std::ios::app};
  if (!out)
    return make_error(errc::store_failure,
                      "cannot open the failures file " + path + ": " + std::strerror(errno));
  return std::unique_ptr<failures_file>{new failures_file(path, std::move(out))};
}

bool failures_file::append(const std::vector<finished_order>& xs) {
  bool wrote = false;
  for (auto& x : xs) {
    if (x.state != order_state::failed)
      continue;
    nlohmann::json line{{"orderId", x.item.id},        {"productName", x.item.product_name},
                        {"quantity", x.item.quantity}, {"region", x.item.region},
                        {"customer", x.item.customer}, {"vip", x.item.vip},
                        {"cause", x.detail},           {"at", iso8601(x.at)}};
    out_ << line.dump() << '\n';
    wrote = true;
  }
  if (wrote)
    out_.flush();
  return static_cast<bool>(out_);
}

}  // namespace ordernode
