// The command line of ordernode-shell: where the node is, the token, and what to run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ordernode {

// Exit codes of ordernode-shell.
enum shell_exit : int {
  shell_ok = 0,
  shell_command_failed = 1,
  shell_usage = 2,
  shell_unreachable = 3,
  shell_refused = 4,
};

struct shell_options {
  std::string host = "127.0.0.1";
  uint16_t port = 4242;
  std::string token = "ordernode-admin";
  std::optional<std::string> exec;  // Run this one command and exit.
  bool help = false;
};

extern const char* const shell_usage_text;

// Reads the flags (--host, --port, --token, --exec, --help; `--x=v` or `--x v`); the token
// falls back to `env_token` (ORDERNODE_ADMIN_TOKEN) when no flag gives it. Fills `error`
// and returns nullopt on a bad command line.
std::optional<shell_options> parse_shell_options(int argc, const char* const* argv,
                                                 const char* env_token, std::string& error);

}  // namespace ordernode
