#include "runtime/core/random.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>

namespace ordernode {

namespace {

// The last (milliseconds << 12 | counter) handed out by this process.
std::atomic<uint64_t> last_stamp{0};

// A stamp greater than every one before it: the time's own stamp when the clock moved on,
// otherwise the last one plus one (a counter overflow runs ahead of the clock, as RFC 9562
// section 6.2 allows).
uint64_t next_stamp(uint64_t unix_ms) {
  auto wanted = (unix_ms & 0xFFFFFFFFFFFFull) << 12;
  auto last = last_stamp.load(std::memory_order_relaxed);
  for (;;) {
    auto next = wanted > last ? wanted : last + 1;
    if (last_stamp.compare_exchange_weak(last, next, std::memory_order_relaxed))
      return next;
  }
}

}  // namespace

std::mt19937_64& thread_rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

bool chance(double p) {
  if (p <= 0)
    return false;
  return std::uniform_real_distribution<double>{0, 1}(thread_rng()) < p;
}

std::string make_uuid_at(uint64_t unix_ms) {
  auto stamp = next_stamp(unix_ms);
  auto ms = stamp >> 12;
  auto counter = stamp & 0xFFF;
  auto lo = (thread_rng()() & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-7%03x-%04x-%012llx", static_cast<unsigned>(ms >> 16),
                static_cast<unsigned>(ms & 0xFFFF), static_cast<unsigned>(counter),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string make_uuid() {
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return make_uuid_at(static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count()));
}

}  // namespace ordernode
