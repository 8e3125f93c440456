// The journal report's read model: every number of the report in one read-only pass.
#pragma once

#include <chrono>
#include <string>

#include <caf/expected.hpp>

#include "runtime/core/report_data.hpp"
#include "runtime/store/journal_location.hpp"

namespace ordernode {

// Reads every number of the report from the journal at `where`, read-only; a read still running
// at `deadline` is interrupted and the result is an error saying so.
caf::expected<report_data> load_report_data(
  const journal_location& where,
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

}  // namespace ordernode
