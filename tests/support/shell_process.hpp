// Test support: ordernode-shell run as a process to its end, with what it printed.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/node_process.hpp"

namespace ordernode::test {

struct shell_run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs ordernode-shell with `args` in `dir` (also its HOME) to its end, `input` on its stdin;
// `env_token` becomes ORDERNODE_ADMIN_TOKEN (unset when empty).
inline shell_run shell(const fs::path& dir, std::vector<std::string> args,
                       const std::string& env_token = "", const std::string& input = "") {
  static int runs = 0;
  auto name = "shell-" + std::to_string(++runs);
  auto out_path = (dir / (name + ".out")).string();
  auto err_path = (dir / (name + ".err")).string();
  auto in_path = (dir / (name + ".in")).string();
  std::ofstream{in_path} << input;
  args.insert(args.begin(), env_or_fail("ORDERNODE_SHELL_BIN"));
  std::vector<char*> argv;
  for (auto& x : args)
    argv.push_back(x.data());
  argv.push_back(nullptr);
  auto dir_str = dir.string();
  auto pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto in = open(in_path.c_str(), O_RDONLY);
    auto out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    auto err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0 || chdir(dir_str.c_str()) != 0 || dup2(in, 0) < 0
        || dup2(out, 1) < 0 || dup2(err, 2) < 0)
      _exit(127);
    setenv("HOME", dir_str.c_str(), 1);
    if (env_token.empty())
      unsetenv("ORDERNODE_ADMIN_TOKEN");
    else
      setenv("ORDERNODE_ADMIN_TOKEN", env_token.c_str(), 1);
    execv(argv[0], argv.data());
    _exit(127);
  }
  shell_run result;
  auto deadline = clock_type::now() + 30s;
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (clock_type::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      FAIL("ordernode-shell did not exit within 30 s: ", args);
    }
    std::this_thread::sleep_for(10ms);
  }
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

}  // namespace ordernode::test
