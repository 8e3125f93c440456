#include "tools/bench/latency_histogram.hpp"

#include <algorithm>

namespace ordernode::bench {

// Values below 32 have a bucket each; above, a value with its highest bit at position p lands
// in one of 16 buckets of width 2^(p - 4).
int latency_histogram::bucket_of(int64_t ns) {
  if (ns < 2 * sub_buckets)
    return static_cast<int>(std::max<int64_t>(ns, 0));
  auto shift = 63 - __builtin_clzll(static_cast<uint64_t>(ns)) - 4;
  auto bucket = sub_buckets * shift + static_cast<int>(ns >> shift);
  return std::min(bucket, sub_buckets * octaves - 1);
}

int64_t latency_histogram::upper_bound_of(int bucket) {
  if (bucket < 2 * sub_buckets)
    return bucket;
  auto shift = bucket / sub_buckets - 1;
  auto mantissa = bucket - sub_buckets * shift;
  return (static_cast<int64_t>(mantissa + 1) << shift) - 1;
}

void latency_histogram::add(int64_t ns) {
  ++buckets_[static_cast<size_t>(bucket_of(ns))];
  ++count_;
  max_ = std::max(max_, ns);
}

int64_t latency_histogram::quantile(double q) const {
  if (count_ == 0)
    return 0;
  auto rank = static_cast<uint64_t>(q * static_cast<double>(count_));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen > rank)
      return std::min(upper_bound_of(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace ordernode::bench
