#include "tools/bench/bench_flags.hpp"

#include <iostream>

#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"

namespace ordernode::bench {

std::vector<std::string> bench_flags(const std::string& journal_path) {
  return {"--source.enabled=false",          "--processor.latency=0ns",
          "--processor.failure-rate=0",      "--shipper.latency=0ns",
          "--shipper.failure-rate=0",        "--log.level=warn",
          "--aggregator.report-interval=1h", "--journal.path=" + journal_path};
}

bool load_bench_config(node_config& cfg, const char* tool, std::vector<std::string> defaults,
                       const std::vector<char*>& user) {
  std::vector<char*> args{const_cast<char*>(tool)};
  for (auto& x : defaults)
    args.push_back(x.data());
  args.insert(args.end(), user.begin(), user.end());
  if (auto err = cfg.load(static_cast<int>(args.size()), args.data())) {
    std::cerr << tool << ": " << describe(err) << "\n";
    return false;
  }
  spdlog::set_level(spdlog::level::from_str(to_string(cfg.node.level)));
  return true;
}

}  // namespace ordernode::bench
