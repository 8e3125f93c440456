// Renders timestamps as ISO 8601 UTC text for notifications.
#pragma once

#include <string>

#include "runtime/core/messages.hpp"

namespace ordernode {

// "2026-11-25T09:03:04.123Z": UTC with milliseconds, truncated towards the past.
std::string iso8601(timestamp ns);

}  // namespace ordernode
