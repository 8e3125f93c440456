#include "runtime/core/order_rules.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace ordernode {

namespace {

bool is_blank(const std::string& x) {
  return std::all_of(x.begin(), x.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

}  // namespace

const std::string& field_name(order_field x) {
  static const std::array<std::string, 6> names{"id",     "productName", "quantity",
                                                "region", "customer",    "vip"};
  return names[static_cast<size_t>(x)];
}

std::optional<rule_violation> check_order(
  const order& x, const order_rules& rules,
  const std::function<bool(const std::string&)>& known_region) {
  if (x.id.empty())
    return rule_violation{order_field::id, "order id is empty"};
  if (is_blank(x.product_name))
    return rule_violation{order_field::product_name, "product name is empty"};
  if (x.product_name.size() > static_cast<size_t>(rules.max_name_length))
    return rule_violation{
      order_field::product_name,
      "product name is longer than " + std::to_string(rules.max_name_length) + " bytes"};
  if (x.quantity < rules.min_quantity)
    return rule_violation{
      order_field::quantity,
      "quantity " + std::to_string(x.quantity) + " is below " + std::to_string(rules.min_quantity)};
  if (x.quantity > rules.max_quantity)
    return rule_violation{
      order_field::quantity,
      "quantity " + std::to_string(x.quantity) + " is above " + std::to_string(rules.max_quantity)};
  if (!known_region(x.region))
    return rule_violation{order_field::region, "unknown region '" + x.region + "'"};
  if (rules.require_customer && is_blank(x.customer))
    return rule_violation{order_field::customer, "customer is empty"};
  return std::nullopt;
}

option_table option_table_of(order_rules& x) {
  option_table result{"validation"};
  result.add(x.min_quantity, "min-quantity", "smallest valid quantity", 0, 1000000000)
    .add(x.max_quantity, "max-quantity", "largest valid quantity", 0, 1000000000)
    .add(x.max_name_length, "max-name-length", "longest valid product name, in bytes", 1, 65536)
    .add(x.require_customer, "require-customer", "reject orders without a customer")
    .rule("max-quantity", [&x] {
      return x.max_quantity < x.min_quantity ? "must not be below validation.min-quantity"
                                             : std::string{};
    });
  return result;
}

}  // namespace ordernode
