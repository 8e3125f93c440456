// ordernode-shell: attaches to a node's admin endpoint, interactively or for one command.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include <editline/readline.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "runtime/admin/admin_actor.hpp"
#include "runtime/admin/admin_protocol.hpp"
#include "runtime/core/errors.hpp"
#include "tools/shell/shell_options.hpp"

using namespace ordernode;

namespace {

constexpr auto request_timeout = std::chrono::seconds(60);

class shell_config : public caf::actor_system_config {
public:
  shell_config() {
    add_admin_types(*this);
    load<caf::io::middleman>();
    set("logger.verbosity", caf::atom("quiet"));
  }
};

struct session {
  caf::actor_system& sys;
  shell_options options;
  admin_actor node;

  // Sends one command line and prints the answer; returns the exit code it deserves.
  int run(const std::string& line) {
    caf::scoped_actor self{sys};
    admin_reply reply;
    caf::error err;
    self->request(node, request_timeout, admin_atom::value, options.token, line)
      .receive([&](admin_reply& x) { reply = std::move(x); },
               [&](caf::error& x) { err = std::move(x); });
    if (err) {
      std::cerr << "ordernode-shell: no answer from the node at " << options.host << ":"
                << options.port << ": " << describe(err) << "\n";
      return shell_unreachable;
    }
    if (reply.code == admin_reply::refused) {
      std::cerr << "ordernode-shell: " << reply.text
                << "  (pass the node's admin.token with --token or ORDERNODE_ADMIN_TOKEN, or the "
                   "file a node without one writes next to its journal with --token-file)\n";
      return shell_refused;
    }
    if (reply.code != admin_reply::ok) {
      std::cerr << "error: " << reply.text;
      return shell_command_failed;
    }
    std::cout << reply.text;
    if (!reply.attachment.empty())
      return save(line, reply.attachment);
    return shell_ok;
  }

  // Saves the report's HTML to the path `report FILE` names, or ordernode-report.html.
  static int save(const std::string& line, const std::string& content) {
    auto words = split_words(line);
    std::string path = words.size() > 1 ? words[1] : "ordernode-report.html";
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out << content;
    out.close();
    if (!out) {
      std::cerr << "error: cannot write " << path << ": " << std::strerror(errno) << "\n";
      return shell_command_failed;
    }
    std::cout << "report written to " << path << "\n";
    return shell_ok;
  }
};

std::string history_path() {
  auto* home = std::getenv("HOME");
  return home != nullptr && *home != '\0' ? std::string{home} + "/.ordernode_shell_history" : "";
}

int interactive(session& s) {
  if (auto code = s.run(""); code != shell_ok)
    return code;
  std::cout << "attached to ordernode at " << s.options.host << ":" << s.options.port
            << "; type help for the commands, quit to leave\n";
  auto history = history_path();
  using_history();
  if (!history.empty())
    read_history(history.c_str());
  int last = shell_ok;
  for (;;) {
    char* raw = readline("ordernode> ");
    if (raw == nullptr)
      break;
    std::string line = raw;
    std::free(raw);
    auto words = split_words(line);
    if (words.empty())
      continue;
    add_history(line.c_str());
    if (words[0] == "quit" || words[0] == "exit")
      break;
    last = s.run(line);
    if (last == shell_unreachable)
      break;
  }
  if (!history.empty())
    write_history(history.c_str());
  return last == shell_unreachable ? last : shell_ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  auto options = parse_shell_options(argc, argv, std::getenv("ORDERNODE_ADMIN_TOKEN"), error);
  if (!options) {
    std::cerr << "ordernode-shell: " << error << "\n" << shell_usage_text;
    return shell_usage;
  }
  if (options->help) {
    std::cout << shell_usage_text;
    return shell_ok;
  }
  auto token = resolve_shell_token(*options, error);
  if (!token) {
    std::cerr << "ordernode-shell: " << error << "\n";
    return shell_usage;
  }
  options->token = std::move(*token);
  if (options->exec) {
    auto words = split_words(*options->exec);
    if (!words.empty() && (words[0] == "quit" || words[0] == "exit"))
      return shell_ok;
  }
  shell_config cfg;
  caf::actor_system sys{cfg};
  auto node = sys.middleman().remote_actor<admin_actor>(options->host, options->port);
  if (!node) {
    std::cerr << "ordernode-shell: cannot reach the node at " << options->host << ":"
              << options->port << " (is it running, with admin.port=" << options->port
              << "?): " << describe(node.error()) << "\n";
    return shell_unreachable;
  }
  session s{sys, *options, *node};
  if (options->exec)
    return s.run(*options->exec);
  return interactive(s);
}
