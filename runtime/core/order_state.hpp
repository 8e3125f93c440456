// The life cycle of an order and the moves between its states that are legal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ordernode {

// The values are stored in the journal as codes: never renumber, add new states at the end.
enum class order_state : uint8_t {
  received,
  validated,
  processing,
  processed,
  shipping,
  completed,
  rejected,
  failed,
  dead_letter,
};

constexpr order_state last_order_state = order_state::dead_letter;

std::string to_string(order_state x);

// The name of `x` as stored in the journal, without an allocation.
const std::string& state_name(order_state x);

std::optional<order_state> parse_order_state(const std::string& name);

// Completed, rejected, failed and dead-lettered orders never move again, except that a
// dead-lettered order may be replayed into `received`.
bool is_final(order_state x);

// Whether `from -> to` is a legal move. Processing and shipping may repeat (a retry or a
// recovery after a crash); every other move goes forward.
bool is_legal(order_state from, order_state to);

}  // namespace ordernode
