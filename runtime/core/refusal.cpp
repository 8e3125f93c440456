#include "runtime/core/refusal.hpp"

#include <array>

namespace ordernode {

const std::string& to_string(refusal x) {
  static const std::array<std::string, 7> names{
    "none",        "overloaded", "journal_unavailable", "shutting_down", "recovering",
    "in_progress", "conflict"};
  return names[static_cast<size_t>(x)];
}

}  // namespace ordernode
