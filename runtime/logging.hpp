// Sets up spdlog: UTC timestamps on stderr, optionally also in a file.
#pragma once

#include <string>

#include <caf/error.hpp>

namespace ordernode {

caf::error setup_logging(const std::string& level, const std::string& file);

}  // namespace ordernode
