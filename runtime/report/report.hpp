// The journal report: one self-contained HTML page (inline SVG, no script) or a text summary.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "runtime/core/report_data.hpp"

namespace ordernode {

std::string render_html(const report_data& x);

// Reads the report's numbers, giving up at the deadline (load_report_data of the store).
using report_loader =
  std::function<caf::expected<report_data>(std::chrono::steady_clock::time_point deadline)>;

// For the HTTP server's `GET /api/report`: loads and renders the report on each call, or a
// short HTML page naming the error; the error itself when the report took longer than
// `timeout`. Blocks: call it off CAF's scheduler threads and off the HTTP threads.
std::function<caf::expected<std::string>()> make_report_hook(report_loader load,
                                                             caf::timespan timeout);

// A few lines for a terminal: totals by state, retries, latency percentiles.
std::string render_summary(const report_data& x);

// "12.3 ms", "4.1 s": a duration in nanoseconds for people.
std::string format_duration(int64_t ns);

// "2026-11-25 11:45:48 UTC".
std::string format_time(timestamp at);

}  // namespace ordernode
