// The rules an order must meet: one set, checked at the HTTP door and by the validator alike.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "runtime/core/messages.hpp"
#include "runtime/core/option_table.hpp"

namespace ordernode {

struct order_rules {
  int32_t min_quantity = 0;
  int32_t max_quantity = 1000000;
  int32_t max_name_length = 200;
  bool require_customer = false;
};

// The config keys validation.*.
option_table option_table_of(order_rules& x);

// The field of an order a rule is about.
enum class order_field : uint8_t { id, product_name, quantity, region, customer, vip };

// The field's name in the JSON of the API and the broker ("productName", ...).
const std::string& field_name(order_field x);

struct rule_violation {
  order_field field = order_field::id;
  std::string message;
};

// The first rule `x` breaks, or nothing; `known_region` tells the regions this node serves.
std::optional<rule_violation> check_order(
  const order& x, const order_rules& rules,
  const std::function<bool(const std::string&)>& known_region);

template <class Map>
std::optional<rule_violation> check_order(const order& x, const order_rules& rules,
                                          const Map& regions) {
  return check_order(x, rules,
                     std::function<bool(const std::string&)>{[&](const std::string& name) {
                       return regions.count(name) > 0;
                     }});
}

}  // namespace ordernode
