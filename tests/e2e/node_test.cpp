// Starts the real ordernode binary, reads its stdout, stderr and journal database.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
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

#include <SQLiteCpp/SQLiteCpp.h>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

using clock_type = std::chrono::steady_clock;

struct temp_dir {
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "node_test_XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }

  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }

  fs::path path;
};

std::string env_or_fail(const char* name) {
  auto* value = std::getenv(name);
  INFO("environment variable ", std::string{name}, " is not set");
  REQUIRE(value != nullptr);
  return value;
}

std::string read_file(const fs::path& path) {
  std::ifstream in{path};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// One run of the ordernode binary in `dir`, its stdout and stderr going to files there.
class node_process {
 public:
  node_process(const fs::path& dir, const std::string& name, std::vector<std::string> args)
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
    auto bin = env_or_fail("ORDERNODE_BIN");
    args.insert(args.begin(), bin);
    std::vector<char*> argv;
    for (auto& x : args) argv.push_back(x.data());
    argv.push_back(nullptr);
    auto dir_str = dir.string();
    auto out_str = out_.string();
    auto err_str = err_.string();
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      auto out = open(out_str.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      auto err = open(err_str.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out < 0 || err < 0 || chdir(dir_str.c_str()) != 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
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
      if (clock_type::now() >= deadline || wait(0ms)) return std::nullopt;
      std::this_thread::sleep_for(20ms);
    }
  }

  std::string out() const { return read_file(out_); }

  std::string err() const { return read_file(err_); }

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

quick_run run_to_exit(const fs::path& dir, std::vector<std::string> args) {
  node_process p{dir, "quick", std::move(args)};
  auto code = p.wait(10s);
  REQUIRE(code.has_value());
  return {*code, p.out(), p.err()};
}

bool is_uuid(const std::string& x) {
  if (x.size() != 36) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    auto dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (x[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(x[i]))) return false;
  }
  return x[14] == '4';
}

// The order ids that follow `before` and precede `after` on a line of `text`.
std::set<std::string> ids_of(const std::string& text, const std::string& before,
                             const std::string& after = "") {
  std::set<std::string> result;
  for (auto pos = text.find(before); pos != std::string::npos; pos = text.find(before, pos + 1)) {
    auto id = text.substr(pos + before.size(), 36);
    auto rest = text.substr(pos + before.size() + id.size());
    auto line = rest.substr(0, rest.find('\n'));
    if (is_uuid(id) && line.find(after) != std::string::npos) result.insert(id);
  }
  return result;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t result = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1))
    ++result;
  return result;
}

struct journal_view {
  explicit journal_view(const fs::path& path) : db{path.string(), SQLite::OPEN_READONLY} {}

  std::map<std::string, int64_t> state_counts() {
    std::map<std::string, int64_t> result;
    SQLite::Statement q{db, "SELECT state, COUNT(*) FROM orders GROUP BY state"};
    while (q.executeStep()) result[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    return result;
  }

  std::set<std::string> ids(const std::string& where = "1") {
    std::set<std::string> result;
    SQLite::Statement q{db, "SELECT id FROM orders WHERE " + where};
    while (q.executeStep()) result.insert(q.getColumn(0).getString());
    return result;
  }

  int64_t count(const std::string& sql) { return db.execAndGet(sql).getInt64(); }

  SQLite::Database db;
};

const std::string unfinished = "state NOT IN ('completed', 'failed', 'rejected', 'dead_letter')";

}  // namespace

TEST_CASE("--version prints the version and exits 0") {
  temp_dir dir;
  auto r = run_to_exit(dir.path, {"--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("ordernode ", 0) == 0);
  CHECK(r.out.find(".") != std::string::npos);
  CHECK(std::isdigit(static_cast<unsigned char>(r.out["ordernode "s.size()])));
  CHECK_FALSE(fs::exists(dir.path / "ordernode.db"));
}

TEST_CASE("--help and --long-help list the options and exit 0") {
  temp_dir dir;
  auto r = run_to_exit(dir.path, {"--help"});
  CHECK(r.exit_code == 0);
  CHECK((r.out + r.err).find("--config-file") != std::string::npos);
  CHECK((r.out + r.err).find("--version") != std::string::npos);
  r = run_to_exit(dir.path, {"--long-help"});
  CHECK(r.exit_code == 0);
  CHECK((r.out + r.err).find("--journal.path") != std::string::npos);
  CHECK((r.out + r.err).find("--source.interval") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path / "ordernode.db"));
}

TEST_CASE("configuration errors exit 2 and name the culprit") {
  temp_dir dir;
  SUBCASE("a missing config file") {
    auto r = run_to_exit(dir.path, {"--config-file=/nonexistent.ini"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("/nonexistent.ini") != std::string::npos);
  }
  SUBCASE("an unknown key in the config file") {
    std::ofstream{dir.path / "bad.ini"} << "[source]\nburst=2\nbogus-key=3\n";
    auto r = run_to_exit(dir.path, {"--config-file=" + (dir.path / "bad.ini").string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("source.bogus-key") != std::string::npos);
    CHECK(r.err.find("unknown") != std::string::npos);
  }
  SUBCASE("an out-of-range value on the command line") {
    auto r = run_to_exit(dir.path, {"--processor.workers=-1"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("processor.workers") != std::string::npos);
  }
  SUBCASE("a malformed value in the config file") {
    std::ofstream{dir.path / "bad.ini"} << "[source]\ninterval=\"soon\"\n";
    auto r = run_to_exit(dir.path, {"--config-file=" + (dir.path / "bad.ini").string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("source.interval") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir.path / "ordernode.db"));
}

TEST_CASE("the example config loads and the node starts") {
  auto example = fs::path{env_or_fail("ORDERNODE_SOURCE_DIR")} / "config" / "ordernode.ini";
  if (!fs::exists(example)) {
    MESSAGE("skipped: ", example.string(), " does not exist yet");
    return;
  }
  temp_dir dir;
  node_process p{dir.path,
                 "example",
                 {"--config-file=" + example.string(),
                  "--journal.path=" + (dir.path / "example.db").string()}};
  auto started = p.wait_for_log(" started: journal ", 10s);
  INFO(p.err());
  CHECK(started.has_value());
  CHECK(p.wait_for_log("Order generated: id=", 10s, true).has_value());
  p.signal(SIGTERM);
  CHECK(p.wait(10s) == 0);
  CHECK(fs::exists(dir.path / "example.db"));
}

TEST_CASE("a node runs the flow, shuts down gracefully and leaves a consistent journal") {
  temp_dir dir;
  auto db_path = dir.path / "j.db";
  node_process p{
      dir.path,
      "node",
      {"--journal.path=" + db_path.string(), "--source.interval=50ms", "--source.burst=4",
       "--source.invalid-share=0.2", "--shipper.retry-delay=10ms", "--processor.latency=1ms",
       "--shipper.latency=1ms", "--log.level=info", "--aggregator.report-interval=500ms"}};
  std::this_thread::sleep_for(3s);
  p.signal(SIGTERM);
  auto code = p.wait(8s);
  auto out = p.out();
  auto err = p.err();
  INFO("stderr tail: ", err.substr(err.size() > 2000 ? err.size() - 2000 : 0));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(err.find("SIGTERM received, shutting down") != std::string::npos);
  CHECK(err.find("ordernode stopped") != std::string::npos);
  CHECK(err.find("shutdown deadline passed") == std::string::npos);

  auto generated = ids_of(out, "Order generated: id=", " product=");
  auto valid = ids_of(err, "Valid order ");
  auto invalid = ids_of(err, "Invalid order ", ": ");
  auto shipped = ids_of(err, "Shipping succeeded for order ");
  auto processed = ids_of(err, "info Order ", ") completed in ");
  auto started = ids_of(err, "Processing started for order ");
  CHECK(generated.size() >= 20);
  CHECK(count_of(out, "Order generated: ") == generated.size());
  CHECK(valid.size() > 0);
  CHECK(invalid.size() > 0);
  CHECK(shipped.size() > 0);
  CHECK(count_of(err, " orders processed, quantity ") >= 1);
  std::set<std::string> seen = valid;
  seen.insert(invalid.begin(), invalid.end());
  CHECK(seen.size() == valid.size() + invalid.size());
  CHECK(seen == generated);
  CHECK(started == valid);

  journal_view db{db_path};
  auto counts = db.state_counts();
  auto total = db.count("SELECT COUNT(*) FROM orders");
  CHECK(total == static_cast<int64_t>(generated.size()));
  CHECK(db.ids() == generated);
  CHECK(db.count("SELECT COUNT(*) FROM orders WHERE " + unfinished) == 0);
  CHECK(counts["completed"] + counts["failed"] + counts["rejected"] == total);
  CHECK(db.ids("state = 'rejected'") == invalid);
  CHECK(db.ids("state = 'completed'") == shipped);
  CHECK(db.ids("state IN ('completed', 'failed')") == valid);
  CHECK(db.ids("seq IN (SELECT order_seq FROM order_events WHERE state = 'processed')") ==
        processed);
  CHECK(db.count("SELECT COUNT(*) FROM orders o WHERE state = 'completed' AND (SELECT "
                 "COUNT(DISTINCT state) FROM order_events e WHERE e.order_seq = o.seq AND "
                 "e.state IN ('received', 'validated', 'processing', 'processed', 'shipping', "
                 "'completed')) != 6") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM errors WHERE stage = 'validator'") ==
        static_cast<int64_t>(invalid.size()));
}

TEST_CASE("after a crash the next start recovers every unfinished order") {
  temp_dir dir;
  auto db_path = dir.path / "j.db";
  {
    node_process first{
        dir.path,
        "first",
        {"--journal.path=" + db_path.string(), "--source.interval=50ms", "--source.burst=4",
         "--source.invalid-share=0.2", "--processor.latency=200ms", "--shipper.latency=1ms",
         "--shipper.retry-delay=10ms"}};
    std::this_thread::sleep_for(1500ms);
    first.signal(SIGKILL);
    REQUIRE(first.wait(5s) == 128 + SIGKILL);
  }
  int64_t total = 0;
  int64_t left = 0;
  {
    journal_view db{db_path};
    total = db.count("SELECT COUNT(*) FROM orders");
    left = db.count("SELECT COUNT(*) FROM orders WHERE " + unfinished);
  }
  CHECK(total >= 10);
  REQUIRE(left > 0);
  node_process second{
      dir.path,
      "second",
      {"--journal.path=" + db_path.string(), "--source.enabled=false", "--processor.latency=1ms",
       "--shipper.latency=1ms", "--shipper.retry-delay=10ms"}};
  auto recovered = second.wait_for_log(" unfinished orders from the journal", 10s);
  INFO(second.err());
  REQUIRE(recovered.has_value());
  CHECK(recovered->find("recovered " + std::to_string(left) + " unfinished orders") !=
        std::string::npos);
  CHECK(second.wait_for_log("source off", 5s).has_value());
  std::this_thread::sleep_for(1s);
  second.signal(SIGTERM);
  CHECK(second.wait(8s) == 0);
  CHECK(second.out().find("Order generated") == std::string::npos);
  journal_view db{db_path};
  CHECK(db.count("SELECT COUNT(*) FROM orders") == total);
  CHECK(db.count("SELECT COUNT(*) FROM orders WHERE " + unfinished) == 0);
  auto counts = db.state_counts();
  CHECK(counts["completed"] + counts["failed"] + counts["rejected"] == total);
  CHECK(counts["completed"] > 0);
}
