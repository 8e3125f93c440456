// A notification about one error or a digest of many, and the interface of the channels that
// deliver notifications to people.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "runtime/core/messages.hpp"

namespace ordernode {

// The errors that arrived in one window. A digest counts every error by type but lists only the
// first few of them.
struct notification {
  std::vector<error_report> errors;        // The listed errors, oldest first.
  std::map<std::string, uint64_t> counts;  // All errors of the window by type.
  timestamp window_start = 0;
  timestamp window_end = 0;

  // Counts `x` and lists it while fewer than `max_listed` errors are listed.
  void add(error_report x, size_t max_listed);

  // Errors in the window, listed or not.
  uint64_t total() const;

  bool empty() const {
    return total() == 0;
  }

  // "[ordernode] shipping error, order o-17 (shipper)" or
  // "[ordernode] 1000 errors: 990 shipping, 10 validation".
  std::string subject() const;

  // Plain text: the counts by type for a digest, then order id, error type, ISO 8601 UTC time,
  // stage and cause of each listed error.
  std::string body() const;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, notification& x) {
  return f(caf::meta::type_name("notification"), x.errors, x.counts, x.window_start, x.window_end);
}

// Delivers notifications to people: by mail, chat, SMS or a file.
class notification_channel {
public:
  virtual ~notification_channel() = default;

  // "smtp", "slack", "sms", "mock", ...
  virtual std::string name() const = 0;

  // Delivers `x`; blocks until the receiving end accepted it or failed, which may take seconds.
  // Called from one thread at a time.
  virtual caf::error send(const notification& x) = 0;
};

}  // namespace ordernode
