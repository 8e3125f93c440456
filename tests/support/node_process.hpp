// Test support: the real ordernode binary run as a child process, its exit code and its logs.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/ports.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

#include <doctest/doctest.h>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace ordernode::test {

using clock_type = std::chrono::steady_clock;

inline std::string env_or_fail(const char* name) {
  auto* value = std::getenv(name);
  INFO("environment variable ", std::string{name}, " is not set");
  REQUIRE(value != nullptr);
  return value;
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in{path};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// One run of the ordernode binary in `dir`, its stdout and stderr going to files there.
class node_process {
public:
  // Listeners whose key `args` does not set get a free port (admin: off), so that two nodes of
  // a test never meet on a default port: a port in use stops a node with exit code 2.
  // With `open_files`, the child sets its RLIMIT_NOFILE to it before exec.
  node_process(const fs::path& dir, const std::string& name, std::vector<std::string> args,
               std::optional<rlimit> open_files = std::nullopt)
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
    auto bin = env_or_fail("ORDERNODE_BIN");
    auto sets = [&](const std::string& key) {
      return std::any_of(args.begin(), args.end(),
                         [&](auto& x) { return x.rfind("--" + key + "=", 0) == 0; });
    };
    if (!sets("http.bind"))
      args.push_back("--http.bind=127.0.0.1:0");
    if (!sets("metrics.bind"))
      args.push_back("--metrics.bind=127.0.0.1:0");
    if (!sets("admin.port"))
      args.push_back("--admin.port=0");
    args.insert(args.begin(), bin);
    std::vector<char*> argv;
    for (auto& x : args)
      argv.push_back(x.data());
    argv.push_back(nullptr);
    auto dir_str = dir.string();
    auto out_str = out_.string();
    auto err_str = err_.string();
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      auto out = open(out_str.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      auto err = open(err_str.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out < 0 || err < 0 || chdir(dir_str.c_str()) != 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0
          || (open_files && setrlimit(RLIMIT_NOFILE, &*open_files) != 0))
        _exit(127);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }

  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  ~node_process() {
    if (!exit_code_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  void signal(int sig) {
    REQUIRE(!exit_code_);
    REQUIRE(kill(pid_, sig) == 0);
  }

  // The exit code (128 + N for a death by signal N), or nothing while it still runs after
  // `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    while (!exit_code_) {
      int status = 0;
      auto r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      } else if (clock_type::now() >= deadline) {
        break;
      } else {
        std::this_thread::sleep_for(10ms);
      }
    }
    return exit_code_;
  }

  // Polls stderr (or stdout) until a line contains `text`; returns that line.
  std::optional<std::string> wait_for_log(const std::string& text,
                                          std::chrono::milliseconds timeout,
                                          bool in_stdout = false) {
    auto deadline = clock_type::now() + timeout;
    for (;;) {
      auto all = read_file(in_stdout ? out_ : err_);
      if (auto pos = all.find(text); pos != std::string::npos) {
        auto begin = all.rfind('\n', pos);
        begin = begin == std::string::npos ? 0 : begin + 1;
        return all.substr(begin, all.find('\n', pos) - begin);
      }
      if (clock_type::now() >= deadline || wait(0ms))
        return std::nullopt;
      std::this_thread::sleep_for(20ms);
    }
  }

  std::string out() const {
    return read_file(out_);
  }

  pid_t pid() const {
    return pid_;
  }

  std::string err() const {
    return read_file(err_);
  }

private:
  pid_t pid_ = -1;
  fs::path out_;
  fs::path err_;
  std::optional<int> exit_code_;
};

struct quick_run {
  int exit_code;
  std::string out;
  std::string err;
};

inline quick_run run_to_exit(const fs::path& dir, std::vector<std::string> args) {
  node_process p{dir, "quick", std::move(args)};
  auto code = p.wait(10s);
  REQUIRE(code.has_value());
  return {*code, p.out(), p.err()};
}

// The port of the node's metrics endpoint, from its "metrics on http://127.0.0.1:PORT/metrics"
// log line.
inline int metrics_port(node_process& p) {
  auto line = p.wait_for_log("metrics on http://127.0.0.1:", 10s);
  INFO(p.err());
  REQUIRE(line.has_value());
  return port_from_log(*line);
}

}  // namespace ordernode::test
