// The node settings every benchmark runs with, and loading them under the user's own flags.
#pragma once

#include <string>
#include <vector>

#include "runtime/node/config.hpp"

namespace ordernode::bench {

// No source, mock externals at zero latency and without failures, warnings only, no periodic
// totals; the journal at `journal_path`.
std::vector<std::string> bench_flags(const std::string& journal_path);

// Loads `cfg` from `defaults` followed by `user` flags (the latter win); prints an error
// naming `tool` and returns false when they do not parse.
bool load_bench_config(node_config& cfg, const char* tool, std::vector<std::string> defaults,
                       const std::vector<char*>& user);

}  // namespace ordernode::bench
