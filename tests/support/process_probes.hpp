// Test support: what a test reads of a running process from /proc (memory, files, CPU).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "tools/support/proc_stat.hpp"

namespace ordernode::test {

using proc::cpu_seconds;
using proc::status_kib;

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

}  // namespace ordernode::test
