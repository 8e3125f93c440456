// The delays between reconnects to the broker: doubling from the first to the longest.
#pragma once

#include <algorithm>
#include <chrono>

#include <caf/timespan.hpp>

namespace ordernode {

class reconnect_backoff {
public:
  reconnect_backoff(caf::timespan first, caf::timespan longest)
      : first_(first), longest_(longest) {}

  // The delay before the next attempt after a failure.
  caf::timespan next() {
    ++failures_;
    current_ = std::min(longest_, std::max(first_, current_ * 2));
    return current_;
  }

  // Whether the last failure was the first since the last success: log an outage once.
  bool first_failure() const {
    return failures_ == 1;
  }

  void reset() {
    current_ = caf::timespan{0};
    failures_ = 0;
  }

private:
  caf::timespan first_;
  caf::timespan longest_;
  caf::timespan current_{0};
  int failures_ = 0;
};

// Whole milliseconds, as librabbitmq takes its timeouts.
inline std::chrono::milliseconds to_ms(caf::timespan x) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(x);
}

}  // namespace ordernode
