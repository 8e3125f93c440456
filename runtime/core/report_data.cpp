#include "runtime/core/report_data.hpp"

#include <algorithm>
#include <cmath>

namespace ordernode {

latency_summary summarize_latencies(std::vector<int64_t>& durations) {
  latency_summary result;
  result.count = durations.size();
  if (durations.empty())
    return result;
  std::sort(durations.begin(), durations.end());
  auto rank = [&](double p) {
    auto n = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(durations.size())));
    return durations[std::max<size_t>(n, 1) - 1];
  };
  result.p50 = rank(50);
  result.p90 = rank(90);
  result.p99 = rank(99);
  result.max = durations.back();
  return result;
}

}  // namespace ordernode
