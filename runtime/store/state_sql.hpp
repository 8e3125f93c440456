// The order states as SQL text, made from the vocabulary so that no query spells them again.
#pragma once

#include <string>

#include "runtime/core/order_state.hpp"

namespace ordernode {

// "('completed', 'rejected', 'failed', 'dead_letter')": every state is_final() holds for.
// Built on each call, never at static initialization: the state names live in another unit.
inline std::string final_states_sql() {
  std::string result;
  for (auto i = 0; i <= static_cast<int>(last_order_state); ++i) {
    auto x = static_cast<order_state>(i);
    if (is_final(x))
      result += (result.empty() ? "('" : ", '") + state_name(x) + "'";
  }
  return result + ")";
}

}  // namespace ordernode
