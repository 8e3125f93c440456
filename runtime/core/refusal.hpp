// Why an order was not taken: one kind per cause, which each entry point maps to its answer.
#pragma once

#include <cstdint>
#include <string>

namespace ordernode {

enum class refusal : uint8_t {
  none,
  overloaded,           // Too many orders in flight.
  journal_unavailable,  // Commits fail: nothing new can be recorded.
  shutting_down,
  recovering,   // Unfinished orders are still being read back.
  in_progress,  // An order with this id is being submitted already.
  conflict,     // The id is taken by a different order (an Idempotency-Key reused).
};

const std::string& to_string(refusal x);

}  // namespace ordernode
