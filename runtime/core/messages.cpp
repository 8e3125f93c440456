#include "runtime/core/messages.hpp"

#include <chrono>

namespace ordernode {

timestamp now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::string to_string(admission x) {
  switch (x) {
    case admission::accepted:
      return "accepted";
    case admission::duplicate:
      return "duplicate";
    case admission::forwarded:
      return "forwarded";
  }
  return "unknown";
}

}  // namespace ordernode
