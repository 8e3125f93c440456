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
  std::string token;  // Empty: the one in `token_file`.
  // What a node without admin.token writes next to its journal (here: the current folder).
  std::string token_file = "ordernode-admin.token";
  bool token_file_given = false;
  std::optional<std::string> exec;  // Run this one command and exit.
  bool help = false;
};

extern const char* const shell_usage_text;

// Reads the flags (--host, --port, --token, --token-file, --exec, --help; `--x=v` or
// `--x v`). The token comes from --token, else from --token-file, else from `env_token`
// (ORDERNODE_ADMIN_TOKEN), else from ./ordernode-admin.token. Fills `error` and returns nullopt
// on a bad command line.
std::optional<shell_options> parse_shell_options(int argc, const char* const* argv,
                                                 const char* env_token, std::string& error);

// The token to send: `x.token`, else the one in `x.token_file`. A missing default file gives
// an empty token (the node refuses it); a token file given that cannot be read is an error.
std::optional<std::string> resolve_shell_token(const shell_options& x, std::string& error);

}  // namespace ordernode
