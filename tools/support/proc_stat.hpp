// What a tool or a test reads of a running process from /proc: memory and CPU time.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ordernode::proc {

// A "kB" field of /proc/PID/status, e.g. "VmRSS" (resident now) or "VmHWM" (its peak); -1
// when there is none.
inline int64_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0)
      return std::stoll(line.substr(field.size() + 1));
  return -1;
}

// utime + stime of /proc/PID/stat, in seconds; 0 when the process is gone.
inline double cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::stringstream buf;
  buf << in.rdbuf();
  auto stat = buf.str();
  // The command name in parentheses may hold spaces: count the fields after its ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos)
    return 0;
  std::istringstream fields{stat.substr(close + 2)};
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

// The CPU seconds of every process named `comm` (its /proc/PID/comm), e.g. all processes of a
// PostgreSQL server on this machine.
inline double cpu_seconds_of_all(const std::string& comm) {
  double result = 0;
  for (auto& entry : std::filesystem::directory_iterator{"/proc"}) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::ifstream in{entry.path() / "comm"};
    std::string found;
    if (std::getline(in, found) && found == comm)
      result += cpu_seconds(static_cast<pid_t>(std::stol(name)));
  }
  return result;
}

}  // namespace ordernode::proc
