// ordernode-shell: attaches to a node's admin endpoint, interactively or for one command.
#include <sstream>
#include <variant>
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

  // Sends one command line to `to`; the reply, or the exit code when there was none.
  std::variant<admin_reply, int> ask(const admin_actor& to, const std::string& line,
                                     const std::string& where) {
    caf::scoped_actor self{sys};
    admin_reply reply;
    caf::error err;
    self->request(to, request_timeout, admin_atom::value, options.token, line)
      .receive([&](admin_reply& x) { reply = std::move(x); },
               [&](caf::error& x) { err = std::move(x); });
    if (err) {
      std::cerr << "ordernode-shell: no answer from the node at " << where << ": " << describe(err)
                << "\n";
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
    return reply;
  }

  std::string where() const {
    return options.host + ":" + std::to_string(options.port);
  }

  // Sends one command line and prints the answer; returns the exit code it deserves. `use` and
  // `actors --all` run here, on the members `nodes` lists.
  int run(const std::string& line) {
    auto words = split_words(line);
    if (!words.empty() && words[0] == "use")
      return words.size() == 2 ? use(words[1]) : usage("use NODE");
    if (words.size() == 2 && words[0] == "actors" && words[1] == "--all")
      return actors_all();
    auto reply = ask(node, line, where());
    if (auto* code = std::get_if<int>(&reply))
      return *code;
    auto& x = std::get<admin_reply>(reply);
    std::cout << x.text;
    if (!x.attachment.empty())
      return save(line, x.attachment);
    return shell_ok;
  }

  static int usage(const char* text) {
    std::cerr << "error: usage: " << text << "\n";
    return shell_command_failed;
  }

  // The members of the cluster, as the attached node reads them.
  std::variant<std::vector<admin_member>, int> members() {
    auto reply = ask(node, "nodes", where());
    if (auto* code = std::get_if<int>(&reply))
      return *code;
    return std::move(std::get<admin_reply>(reply).members);
  }

  // Connects to the admin endpoint at `address` (host:port).
  std::optional<admin_actor> connect(const std::string& address) {
    auto colon = address.rfind(':');
    auto port = static_cast<uint16_t>(std::stoi(address.substr(colon + 1)));
    auto hdl = sys.middleman().remote_actor<admin_actor>(address.substr(0, colon), port);
    if (!hdl) {
      std::cerr << "error: cannot reach the admin endpoint at " << address << ": "
                << describe(hdl.error()) << "\n";
      return std::nullopt;
    }
    return *hdl;
  }

  int use(const std::string& id) {
    auto xs = members();
    if (auto* code = std::get_if<int>(&xs))
      return *code;
    for (auto& x : std::get<std::vector<admin_member>>(xs)) {
      if (x.id != id)
        continue;
      if (x.state != "up") {
        std::cerr << "error: node " << id << " is " << x.state << "\n";
        return shell_command_failed;
      }
      if (x.admin.empty()) {
        std::cerr << "error: node " << id << " runs without an admin endpoint\n";
        return shell_command_failed;
      }
      auto hdl = connect(x.admin);
      if (!hdl)
        return shell_command_failed;
      auto reply = ask(*hdl, "", x.admin);  // The token must work there too.
      if (auto* code = std::get_if<int>(&reply))
        return *code;
      node = *hdl;
      auto colon = x.admin.rfind(':');
      options.host = x.admin.substr(0, colon);
      options.port = static_cast<uint16_t>(std::stoi(x.admin.substr(colon + 1)));
      std::cout << "attached to node " << id << " at " << x.admin << "\n";
      return shell_ok;
    }
    std::cerr << "error: no node " << id << " in the cluster (see nodes)\n";
    return shell_command_failed;
  }

  // `actors` of every member that is up, with a node column; the others as down or left.
  int actors_all() {
    auto xs = members();
    if (auto* code = std::get_if<int>(&xs))
      return *code;
    auto& nodes = std::get<std::vector<admin_member>>(xs);
    size_t width = 4;
    for (auto& x : nodes)
      width = std::max(width, x.id.size());
    auto column = [&](const std::string& x) {
      return x + std::string(width + 2 - x.size(), ' ');
    };
    bool header = false;
    for (auto& x : nodes) {
      if (x.state != "up" || x.admin.empty()) {
        std::cout << column(x.id) << "("
                  << (x.admin.empty() && x.state == "up" ? "no admin" : x.state) << ")\n";
        continue;
      }
      auto hdl = x.admin == where() ? std::optional<admin_actor>{node} : connect(x.admin);
      if (!hdl) {
        std::cout << column(x.id) << "(unreachable)\n";
        continue;
      }
      auto reply = ask(*hdl, "actors", x.admin);
      if (std::holds_alternative<int>(reply)) {
        std::cout << column(x.id) << "(no answer)\n";
        continue;
      }
      std::istringstream lines{std::get<admin_reply>(reply).text};
      std::string line;
      for (bool first = true; std::getline(lines, line); first = false) {
        if (first && header)
          continue;
        std::cout << (first ? column("NODE") : column(x.id)) << line << "\n";
        header = header || first;
      }
    }
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
