// Sets up spdlog: UTC timestamps on stderr, optionally also in a file, one line per message.
#pragma once

#include <string>
#include <string_view>

#include <caf/error.hpp>

namespace ordernode {

// Every message is written with its control characters escaped (\n, \r, \t, \xNN), so that
// text from outside (a product name, a request) can never start a forged log line.
caf::error setup_logging(const std::string& level, const std::string& file);

// Appends `x` to `out` with control characters escaped as the log writes them.
void append_escaped(std::string_view x, std::string& out);

}  // namespace ordernode
