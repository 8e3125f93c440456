#include "runtime/messages.hpp"

#include <chrono>

namespace ordernode {

timestamp now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::string to_string(admission x) {
  return x == admission::accepted ? "accepted" : "duplicate";
}

}  // namespace ordernode
