// The version of ordernode.
#pragma once

namespace ordernode {

constexpr const char* version = "0.1.0";

}  // namespace ordernode
