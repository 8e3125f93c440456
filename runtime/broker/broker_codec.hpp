// The JSON bodies of the broker's messages: an order, and the result of a finished order.
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "runtime/core/messages.hpp"

namespace ordernode {

// {"id", "productName", "quantity", "region", "customer", "vip", "createdAt"}.
std::string encode_order(const order& x);

// Refuses anything but an object with exactly the fields of `encode_order` in their types and
// a non-empty id; the message names the offending field. Content is the validator's business.
caf::expected<order> decode_order(const std::string& body);

// {"orderId", "state", "detail", "region", "node", "at"}.
std::string encode_result(const finished_order& x, const std::string& node);

caf::expected<order_result> decode_result(const std::string& body);

// The trace id that travels with an order and its result: the order id's 32 hex digits.
std::string trace_id_of(const std::string& order_id);

}  // namespace ordernode
