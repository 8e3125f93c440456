// Test support: what a test reads of a running process from /proc (memory, files, CPU).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace ordernode::test {

// A "kB" field of /proc/PID/status, e.g. "VmRSS" (resident now) or "VmHWM" (its peak); -1
// when there is none.
inline int64_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0)
      return std::stoll(line.substr(field.size() + 1));
  return -1;
}

// The soft and hard "Max open files" of /proc/PID/limits.
inline std::pair<long, long> open_files_limit(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/limits"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream fields{line.substr(14)};
      long soft = -1;
      long hard = -1;
      fields >> soft >> hard;
      return {soft, hard};
    }
  return {-1, -1};
}

// The file descriptors the process holds.
inline size_t open_files(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (std::filesystem::directory_iterator i{"/proc/" + std::to_string(pid) + "/fd", ec}, end;
       !ec && i != end; i.increment(ec))
    ++n;
  return n;
}

// utime + stime of /proc/PID/stat, in seconds.
inline double cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::stringstream buf;
  buf << in.rdbuf();
  auto stat = buf.str();
  // The command name in parentheses may hold spaces: count the fields after its ')'.
  std::istringstream fields{stat.substr(stat.rfind(')') + 2)};
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14)
      utime = std::stoull(field);
    if (i == 15)
      stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace ordernode::test
