// Test support: orders to feed the flow, with a given id or a fresh one.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "runtime/core/messages.hpp"
#include "runtime/core/random.hpp"

namespace ordernode::test {

// An order with the id `id`, created now.
inline order make_order(std::string id, std::string product = "keyboard", int32_t quantity = 2,
                        std::string region = "eu", bool vip = false,
                        std::string customer = "alice") {
  order x;
  x.id = std::move(id);
  x.product_name = std::move(product);
  x.quantity = quantity;
  x.region = std::move(region);
  x.customer = std::move(customer);
  x.vip = vip;
  x.created_at = now();
  return x;
}

// An order with a fresh UUID, created now.
inline order new_order(std::string product = "keyboard", int32_t quantity = 2,
                       std::string region = "eu", bool vip = false,
                       std::string customer = "alice") {
  return make_order(make_uuid(), std::move(product), quantity, std::move(region), vip,
                    std::move(customer));
}

}  // namespace ordernode::test
