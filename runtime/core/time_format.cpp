#include "runtime/core/time_format.hpp"

#include <cstdio>
#include <ctime>

namespace ordernode {

std::string iso8601(timestamp ns) {
  constexpr int64_t ns_per_s = 1'000'000'000;
  auto secs = ns / ns_per_s;
  auto rest = ns % ns_per_s;
  if (rest < 0) {
    secs -= 1;
    rest += ns_per_s;
  }
  auto t = static_cast<std::time_t>(secs);
  std::tm utc{};
  if (gmtime_r(&t, &utc) == nullptr)
    return std::to_string(ns) + "ns";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(rest / 1'000'000));
  return buf;
}

}  // namespace ordernode
