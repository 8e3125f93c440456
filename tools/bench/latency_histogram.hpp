// A fixed-size log-linear latency histogram: bounded memory for any number of samples.
#pragma once

#include <array>
#include <cstdint>

namespace ordernode::bench {

class latency_histogram {
public:
  void add(int64_t ns);

  // The value below which `q` (0 to 1) of the samples fall, within the bucket's 1/16 width.
  int64_t quantile(double q) const;

  int64_t max() const {
    return max_;
  }

  uint64_t count() const {
    return count_;
  }

private:
  static constexpr int sub_buckets = 16;
  static constexpr int octaves = 48;

  static int bucket_of(int64_t ns);
  static int64_t upper_bound_of(int bucket);

  std::array<uint64_t, sub_buckets * octaves> buckets_{};
  uint64_t count_ = 0;
  int64_t max_ = 0;
};

}  // namespace ordernode::bench
