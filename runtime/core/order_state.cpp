#include "runtime/core/order_state.hpp"

#include <array>

namespace ordernode {

namespace {

const std::array<std::string, 9> names = {
  "received",  "validated", "processing", "processed",   "shipping",
  "completed", "rejected",  "failed",     "dead_letter",
};

}  // namespace

std::string to_string(order_state x) {
  return names[static_cast<size_t>(x)];
}

const std::string& state_name(order_state x) {
  return names[static_cast<size_t>(x)];
}

std::optional<order_state> parse_order_state(const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (name == names[i])
      return static_cast<order_state>(i);
  return std::nullopt;
}

bool is_final(order_state x) {
  switch (x) {
    case order_state::completed:
    case order_state::rejected:
    case order_state::failed:
    case order_state::dead_letter:
      return true;
    default:
      return false;
  }
}

bool is_legal(order_state from, order_state to) {
  using s = order_state;
  if (to == s::failed || to == s::dead_letter)
    return !is_final(from);
  switch (from) {
    case s::received:
      return to == s::validated || to == s::rejected;
    case s::validated:
      return to == s::processing;
    case s::processing:
      return to == s::processing || to == s::processed;
    case s::processed:
      return to == s::shipping || to == s::completed;
    case s::shipping:
      return to == s::shipping || to == s::completed;
    case s::dead_letter:
      return to == s::received;
    default:
      return false;
  }
}

}  // namespace ordernode
