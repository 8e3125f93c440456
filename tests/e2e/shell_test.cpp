// Runs ordernode-shell as a process against a real ordernode binary and checks what it prints.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tests/support/journal_view.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/process_probes.hpp"
#include "tests/support/shell_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

using namespace ordernode::test;

namespace {

const std::string token = "e2e-secret";

// The words of the first line of `text` whose first word is `first`.
std::vector<std::string> row(const std::string& text, const std::string& first) {
  std::istringstream lines{text};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words{line};
    std::vector<std::string> result;
    for (std::string w; words >> w;)
      result.push_back(w);
    if (!result.empty() && result[0] == first)
      return result;
  }
  return {};
}

struct running_node {
  temp_dir dir;
  fs::path db_path = dir.path() / "journal.db";
  int port = free_port();
  std::string port_arg = "--port=" + std::to_string(port);
  node_process node{
    dir.path(),
    "node",
    {"--journal.path=" + db_path.string(), "--admin.port=" + std::to_string(port),
     "--admin.token=" + token, "--source.interval=50ms", "--source.burst=2",
     "--source.invalid-share=0.2", "--source.print=false", "--processor.failure-rate=0.1",
     "--processor.latency=1ms", "--shipper.latency=1ms", "--shipper.retry-delay=10ms"}};

  running_node() {
    INFO(node.err());
    REQUIRE(node.wait_for_log("admin endpoint on 127.0.0.1:" + std::to_string(port), 15s));
  }

  shell_run exec(const std::string& command) {
    return shell(dir.path(),
                 {"--host", "127.0.0.1", port_arg, "--token", token, "--exec", command});
  }

  int64_t count(const std::string& sql) {
    return journal_view{db_path}.count(sql);
  }
};

}  // namespace

TEST_CASE("the shell queries and steers a running node") {
  running_node n;
  REQUIRE(wait_until(
    [&] {
      return n.count("SELECT COUNT(*) FROM orders WHERE state = 'completed'") >= 5
             && n.count("SELECT COUNT(*) FROM orders") >= 25
             && n.count("SELECT COUNT(*) FROM errors") >= 2;
    },
    20s));

  SUBCASE("actors lists every stage with its type and state") {
    auto r = n.exec("actors");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    for (auto name : {"journal", "validator", "dispatcher-eu", "dispatcher-us", "dispatcher-ap",
                      "shipper", "aggregator", "intake", "source", "error_channel", "admin"}) {
      auto cols = row(r.out, name);
      CHECK_MESSAGE(cols.size() == 8, name);
      if (cols.size() == 8)
        CHECK(cols[2] == "running");
    }
    CHECK(row(r.out, "NAME")
          == std::vector<std::string>{"NAME", "TYPE", "STATE", "MAILBOX", "HANDLED", "ERRORS",
                                      "RESTARTS", "UPTIME"});
    CHECK(row(r.out, "dispatcher-eu")[1] == "dispatcher");
    // Each processor counts its work under its own name; none under a shared one.
    CHECK(row(r.out, "processor").empty());
    uint64_t processed = 0;
    for (std::string region : {"eu", "us", "ap"})
      for (int i = 0; i < 64; ++i)
        if (auto cols = row(r.out, "processor-" + region + "-" + std::to_string(i));
            cols.size() == 8) {
          CHECK(cols[1] == "processor");
          CHECK(cols[2] == "running");
          processed += std::stoull(cols[4]);
        }
    CHECK(processed >= 5);
    auto one = n.exec("actor shipper");
    CHECK(one.exit_code == 0);
    CHECK(row(one.out, "type") == std::vector<std::string>{"type", "shipper"});
    auto none = n.exec("actor nobody");
    CHECK(none.exit_code == 1);
    CHECK(none.err.find("no actor named \"nobody\"") != std::string::npos);
  }

  SUBCASE("order ID shows the order with its history") {
    auto id = *journal_view{n.db_path}.ids("state = 'completed'").begin();
    auto r = n.exec("order " + id);
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(row(r.out, "id") == std::vector<std::string>{"id", id});
    CHECK(row(r.out, "state") == std::vector<std::string>{"state", "completed"});
    CHECK(r.out.find("history:") != std::string::npos);
    std::vector<std::string> states;
    auto history = r.out.substr(r.out.find("history:"));
    std::istringstream lines{history};
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words{line};
      std::string at, unit, state;
      if (words >> at >> unit >> state && at[0] == '+'
          && (states.empty() || states.back() != state))
        states.push_back(state);
    }
    CHECK(states
          == std::vector<std::string>{"received", "validated", "processing", "processed",
                                      "shipping", "completed"});
    auto missing = n.exec("order 00000000-0000-4000-8000-000000000000");
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("no order 00000000-0000-4000-8000-000000000000") != std::string::npos);
  }

  SUBCASE("orders [status] lists the journal's orders in that status") {
    auto r = n.exec("orders completed 5");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("5 orders") != std::string::npos);
    auto completed = journal_view{n.db_path}.ids("state = 'completed'");
    int listed = 0;
    std::istringstream lines{r.out};
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words{line};
      std::string seq, id, state;
      words >> seq >> id >> state;
      if (seq == "SEQ" || id.size() != 36)
        continue;
      ++listed;
      CHECK(state == "completed");
      CHECK(completed.count(id) == 1);
    }
    CHECK(listed == 5);
    auto all = n.exec("orders");
    CHECK(all.exit_code == 0);
    CHECK(all.out.find("20 orders") != std::string::npos);
    auto bad = n.exec("orders shipped-yesterday");
    CHECK(bad.exit_code == 1);
    CHECK(bad.err.find("unknown status \"shipped-yesterday\"") != std::string::npos);
  }

  SUBCASE("errors [N] shows the newest errors") {
    SQLite::Database db{n.db_path.string(), SQLite::OPEN_READONLY, 5000};
    SQLite::Statement q{db, "SELECT order_id, stage FROM errors ORDER BY id LIMIT 1"};
    REQUIRE(q.executeStep());
    auto r = n.exec("errors 100000");
    CHECK(r.exit_code == 1);
    r = n.exec("errors 10000");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(q.getColumn(0).getString()) != std::string::npos);
    auto two = n.exec("errors 2");
    CHECK(two.out.find("\n2 errors\n") != std::string::npos);
  }

  SUBCASE("source pause stops new orders, stats match the journal, resume restarts them") {
    auto paused = n.exec("source pause");
    CHECK(paused.exit_code == 0);
    CHECK(paused.out == "source paused\n");
    REQUIRE(wait_until(
      [&] { return n.count("SELECT COUNT(*) FROM orders WHERE " + unfinished) == 0; }, 10s));
    std::this_thread::sleep_for(300ms);
    auto before = n.count("SELECT COUNT(*) FROM orders");
    std::this_thread::sleep_for(1s);
    CHECK(n.count("SELECT COUNT(*) FROM orders") == before);

    auto stats = n.exec("stats");
    INFO(stats.out, stats.err);
    CHECK(stats.exit_code == 0);
    auto all = row(stats.out, "all");
    REQUIRE(all.size() == 5);
    CHECK(std::stoll(all[1]) == n.count("SELECT COUNT(*) FROM orders WHERE state = 'completed'"));
    CHECK(std::stoll(all[2])
          == n.count("SELECT COALESCE(SUM(quantity), 0) FROM orders WHERE state = 'completed'"));
    CHECK(std::stoll(all[3]) == n.count("SELECT COUNT(*) FROM orders WHERE state = 'failed'"));
    CHECK(std::stoll(all[4]) == n.count("SELECT COUNT(*) FROM orders WHERE state = 'rejected'"));

    auto rate = n.exec("source rate 100");
    CHECK(rate.exit_code == 0);
    CHECK(n.exec("source rate 0").exit_code == 1);
    CHECK(n.exec("source faster").exit_code == 1);
    CHECK(n.exec("source resume").exit_code == 0);
    CHECK(wait_until([&] { return n.count("SELECT COUNT(*) FROM orders") > before + 10; }, 10s));
    CHECK(n.node.wait_for_log("source rate: 100 orders per second", 1s));
  }

  SUBCASE("report saves the HTML report and prints a summary") {
    auto r = n.exec("report " + (n.dir.path() / "report.html").string());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("orders: ") == 0);
    CHECK(r.out.find("report written to ") != std::string::npos);
    auto html = read_file(n.dir.path() / "report.html");
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("<svg") != std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
  }

  SUBCASE("inject crashes the named actor") {
    auto r = n.exec("inject notifier");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(wait_until(
      [&] { return n.exec("actor notifier").out.find("crash injected") != std::string::npos; },
      5s));
    CHECK(n.exec("inject nobody").exit_code == 1);
  }

  SUBCASE("help, unknown commands and the token from the environment") {
    auto help = n.exec("help");
    CHECK(help.exit_code == 0);
    for (auto cmd : {"actors", "actor NAME", "orders", "order ID", "stats", "source pause",
                     "inject NAME", "errors", "report", "quit"})
      CHECK_MESSAGE(help.out.find(cmd) != std::string::npos, cmd);
    auto unknown = n.exec("frobnicate");
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.err.find("unknown command \"frobnicate\"") != std::string::npos);
    auto env = shell(n.dir.path(), {n.port_arg, "--exec", "stats"}, token);
    CHECK(env.exit_code == 0);
    CHECK(!row(env.out, "all").empty());
  }

  SUBCASE("without --exec the shell reads commands until quit and keeps their history") {
    auto r = shell(n.dir.path(), {n.port_arg, "--token", token}, "",
                   "stats\nbogus\n\nactor source\nquit\nactors\n");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("attached to ordernode at 127.0.0.1:" + std::to_string(n.port)) == 0);
    CHECK(!row(r.out, "all").empty());
    CHECK(row(r.out, "type") == std::vector<std::string>{"type", "source"});
    CHECK(r.out.find("NAME") == std::string::npos);
    CHECK(r.err.find("unknown command \"bogus\"") != std::string::npos);
    auto history = read_file(n.dir.path() / ".ordernode_shell_history");
    CHECK(history.find("stats") != std::string::npos);
    CHECK(history.find("bogus") != std::string::npos);
    auto refused = shell(n.dir.path(), {n.port_arg, "--token", "guess"}, "", "stats\n");
    CHECK(refused.exit_code == 4);
    CHECK(refused.out.find("attached") == std::string::npos);
  }

  SUBCASE("a wrong token is refused clearly") {
    auto r = shell(n.dir.path(), {n.port_arg, "--token", "guess", "--exec", "actors"});
    CHECK(r.exit_code == 4);
    CHECK(r.out.empty());
    CHECK(r.err.find("refused: wrong admin token") != std::string::npos);
    auto env = shell(n.dir.path(), {n.port_arg, "--exec", "actors"}, "guess-again");
    CHECK(env.exit_code == 4);
    auto none = shell(n.dir.path(), {n.port_arg, "--exec", "actors"});
    CHECK(none.exit_code == 4);
    CHECK(n.node.wait_for_log("refused a command with a wrong token", 1s));
  }

  n.node.signal(SIGTERM);
  auto code = n.node.wait(30s);
  auto err = n.node.err();
  INFO("node stderr tail: ", err.substr(err.size() > 3000 ? err.size() - 3000 : 0));
  CHECK(code == 0);
}

TEST_CASE("without admin.token the node generates one into a private file the shell reads") {
  temp_dir dir;
  temp_dir elsewhere;
  auto port = free_port();
  auto token_file = dir.path() / "ordernode-admin.token";
  std::vector<std::string> args{"--journal.path=" + (dir.path() / "journal.db").string(),
                                "--admin.port=" + std::to_string(port), "--source.enabled=false"};
  std::string token;
  {
    node_process node{dir.path(), "first", args};
    auto line = node.wait_for_log("admin endpoint on 127.0.0.1:" + std::to_string(port), 15s);
    INFO(node.err());
    REQUIRE(line);
    CHECK(line->find("--token-file " + token_file.string()) != std::string::npos);
    struct stat st;
    REQUIRE(stat(token_file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    token = read_file(token_file);
    REQUIRE(token.size() == 33);
    token.pop_back();
    CHECK(token.find_first_not_of("0123456789abcdef") == std::string::npos);
    auto port_arg = "--port=" + std::to_string(port);
    // In the journal's folder the shell finds the file by itself.
    auto here = shell(dir.path(), {port_arg, "--exec", "help"});
    CHECK(here.exit_code == 0);
    auto there = shell(elsewhere.path(), {port_arg, "--exec", "help"});
    CHECK(there.exit_code == 4);
    CHECK(there.err.find("--token-file") != std::string::npos);
    CHECK(shell(elsewhere.path(), {port_arg, "--token-file", token_file.string(), "--exec", "help"})
            .exit_code
          == 0);
    CHECK(shell(elsewhere.path(), {port_arg, "--token", token, "--exec", "help"}).exit_code == 0);
    auto missing =
      shell(elsewhere.path(), {port_arg, "--token-file", "nope.token", "--exec", "help"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("nope.token") != std::string::npos);
    node.signal(SIGTERM);
    CHECK(node.wait(30s) == 0);
  }
  // A restart reuses the token.
  node_process again{dir.path(), "second", args};
  REQUIRE(again.wait_for_log("admin endpoint on 127.0.0.1:" + std::to_string(port), 15s));
  CHECK(read_file(token_file) == token + "\n");
  CHECK(
    shell(elsewhere.path(), {"--port=" + std::to_string(port), "--token", token, "--exec", "help"})
      .exit_code
    == 0);
  again.signal(SIGTERM);
  CHECK(again.wait(30s) == 0);
}

TEST_CASE("an unreachable node gets a clear message and a non-zero exit") {
  temp_dir dir;
  auto port = free_port();
  auto r = shell(dir.path(), {"--port", std::to_string(port), "--exec", "actors"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("cannot reach the node at 127.0.0.1:" + std::to_string(port))
        != std::string::npos);
  auto bad = shell(dir.path(), {"--port", "99999", "--exec", "actors"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--port must be a number") != std::string::npos);
}

TEST_CASE("admin.port 0 turns the admin endpoint off") {
  temp_dir dir;
  node_process node{
    dir.path(),
    "node",
    {"--journal.path=" + (dir.path() / "j.db").string(), "--admin.port=0", "--source.print=false"}};
  REQUIRE(node.wait_for_log(" started: journal ", 15s));
  CHECK(node.err().find("admin endpoint") == std::string::npos);
  node.signal(SIGTERM);
  CHECK(node.wait(15s) == 0);
}
