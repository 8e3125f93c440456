#include "tools/shell/shell_options.hpp"

#include <filesystem>
#include <vector>

#include "runtime/admin/admin_token.hpp"
#include "runtime/core/errors.hpp"

namespace ordernode {

const char* const shell_usage_text =
  "usage: ordernode-shell [--host HOST] [--port PORT] [--token TOKEN | --token-file FILE]\n"
  "                       [--exec COMMAND]\n"
  "  Attaches to a running ordernode's admin endpoint (admin.bind/admin.port).\n"
  "  --host        the node's address (default 127.0.0.1)\n"
  "  --port        its admin.port (default 4242)\n"
  "  --token       its admin.token (default: $ORDERNODE_ADMIN_TOKEN)\n"
  "  --token-file  the file with its token (default: ./ordernode-admin.token, which a node\n"
  "                without admin.token writes next to its journal); --token wins\n"
  "  --exec        run one command, print its answer and exit (non-zero on failure)\n"
  "  Without --exec: an interactive prompt with history (~/.ordernode_shell_history);\n"
  "  type `help` for the commands.\n"
  "  Exit codes: 0 ok, 1 command failed, 2 usage, 3 node unreachable, 4 wrong token.\n";

std::optional<shell_options> parse_shell_options(int argc, const char* const* argv,
                                                 const char* env_token, std::string& error) {
  shell_options result;
  bool token_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      result.help = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (name != "--host" && name != "--port" && name != "--token" && name != "--token-file"
        && name != "--exec") {
      error = "unknown argument " + arg;
      return std::nullopt;
    }
    if (!value) {
      if (i + 1 >= argc) {
        error = name + " needs a value";
        return std::nullopt;
      }
      value = argv[++i];
    }
    if (name == "--host") {
      if (value->empty()) {
        error = "--host must not be empty";
        return std::nullopt;
      }
      result.host = *value;
    } else if (name == "--port") {
      auto& v = *value;
      if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos
          || std::stoi(v) < 1 || std::stoi(v) > 65535) {
        error = "--port must be a number from 1 to 65535, got \"" + v + "\"";
        return std::nullopt;
      }
      result.port = static_cast<uint16_t>(std::stoi(v));
    } else if (name == "--token") {
      result.token = *value;
      token_given = true;
    } else if (name == "--token-file") {
      if (value->empty()) {
        error = "--token-file must not be empty";
        return std::nullopt;
      }
      result.token_file = *value;
      result.token_file_given = true;
    } else {
      result.exec = *value;
    }
  }
  if (!token_given && !result.token_file_given && env_token != nullptr && *env_token != '\0')
    result.token = env_token;
  return result;
}

std::optional<std::string> resolve_shell_token(const shell_options& x, std::string& error) {
  if (!x.token.empty())
    return x.token;
  std::error_code ec;
  if (!x.token_file_given && !std::filesystem::exists(x.token_file, ec))
    return std::string{};
  auto token = read_admin_token(x.token_file);
  if (!token) {
    error = describe(token.error());
    return std::nullopt;
  }
  return std::move(*token);
}

}  // namespace ordernode
