// Starts the real ordernode binary, reads its stdout, stderr and journal database.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tests/support/journal_view.hpp"
#include "tests/support/node_output.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode::test;

TEST_CASE("--version prints the version and exits 0") {
  temp_dir dir;
  auto r = run_to_exit(dir.path(), {"--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("ordernode ", 0) == 0);
  CHECK(r.out.find(".") != std::string::npos);
  CHECK(std::isdigit(static_cast<unsigned char>(r.out["ordernode "s.size()])));
  CHECK_FALSE(fs::exists(dir.path() / "ordernode.db"));
}

TEST_CASE("--help and --long-help list the options and exit 0") {
  temp_dir dir;
  auto r = run_to_exit(dir.path(), {"--help"});
  CHECK(r.exit_code == 0);
  CHECK((r.out + r.err).find("--config-file") != std::string::npos);
  CHECK((r.out + r.err).find("--version") != std::string::npos);
  // ordernode's own options, by group, with their defaults.
  for (auto line : {"[journal]", "--journal.path=\"ordernode.db\"", "--source.interval=1s",
                    "--shipper.max-retries=3", "--validation.min-quantity=0", "--http.enabled=true",
                    "--broker.enabled  ", "--source.vip-share=0.1 "}) {
    CAPTURE(line);
    CHECK(r.out.find(line) != std::string::npos);
  }
  r = run_to_exit(dir.path(), {"--long-help"});
  CHECK(r.exit_code == 0);
  CHECK((r.out + r.err).find("--journal.path") != std::string::npos);
  CHECK((r.out + r.err).find("--source.interval") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "ordernode.db"));
}

TEST_CASE("configuration errors exit 2 and name the culprit") {
  temp_dir dir;
  SUBCASE("a missing config file") {
    auto r = run_to_exit(dir.path(), {"--config-file=/nonexistent.ini"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("/nonexistent.ini") != std::string::npos);
  }
  SUBCASE("an unknown key in the config file") {
    std::ofstream{dir.path() / "bad.ini"} << "[source]\nburst=2\nbogus-key=3\n";
    auto r = run_to_exit(dir.path(), {"--config-file=" + (dir.path() / "bad.ini").string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("source.bogus-key") != std::string::npos);
    CHECK(r.err.find("unknown") != std::string::npos);
  }
  SUBCASE("an out-of-range value on the command line") {
    auto r = run_to_exit(dir.path(), {"--processor.workers=-1"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("processor.workers") != std::string::npos);
  }
  SUBCASE("a malformed value in the config file") {
    std::ofstream{dir.path() / "bad.ini"} << "[source]\ninterval=\"soon\"\n";
    auto r = run_to_exit(dir.path(), {"--config-file=" + (dir.path() / "bad.ini").string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("source.interval") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir.path() / "ordernode.db"));
}

TEST_CASE("the example config loads and the node starts") {
  auto example = fs::path{env_or_fail("ORDERNODE_SOURCE_DIR")} / "config" / "ordernode.ini";
  if (!fs::exists(example)) {
    MESSAGE("skipped: ", example.string(), " does not exist yet");
    return;
  }
  temp_dir dir;
  node_process p{dir.path(),
                 "example",
                 {"--config-file=" + example.string(),
                  "--journal.path=" + (dir.path() / "example.db").string()}};
  auto started = p.wait_for_log(" started: journal ", 10s);
  INFO(p.err());
  CHECK(started.has_value());
  CHECK(p.wait_for_log("Order generated: id=", 10s, true).has_value());
  p.signal(SIGTERM);
  CHECK(p.wait(10s) == 0);
  CHECK(fs::exists(dir.path() / "example.db"));
}

TEST_CASE("a node runs the flow, shuts down gracefully and leaves a consistent journal") {
  temp_dir dir;
  auto db_path = dir.path() / "j.db";
  node_process p{
    dir.path(),
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
  CHECK(err.find("still in flight at shutdown") == std::string::npos);

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
  CHECK(db.ids("seq IN (SELECT order_seq FROM order_events WHERE state = 'processed')")
        == processed);
  CHECK(db.count("SELECT COUNT(*) FROM orders o WHERE state = 'completed' AND (SELECT "
                 "COUNT(DISTINCT state) FROM order_events e WHERE e.order_seq = o.seq AND "
                 "e.state IN ('received', 'validated', 'processing', 'processed', 'shipping', "
                 "'completed')) != 6")
        == 0);
  CHECK(db.count("SELECT COUNT(*) FROM errors WHERE stage = 'validator'")
        == static_cast<int64_t>(invalid.size()));
}

TEST_CASE("after a crash the next start recovers every unfinished order") {
  temp_dir dir;
  auto db_path = dir.path() / "j.db";
  {
    node_process first{
      dir.path(),
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
    dir.path(),
    "second",
    {"--journal.path=" + db_path.string(), "--source.enabled=false", "--processor.latency=1ms",
     "--shipper.latency=1ms", "--shipper.retry-delay=10ms"}};
  auto recovered = second.wait_for_log(" unfinished orders from the journal", 10s);
  INFO(second.err());
  REQUIRE(recovered.has_value());
  CHECK(recovered->find("recovered " + std::to_string(left) + " unfinished orders")
        != std::string::npos);
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

TEST_CASE("a journal that cannot be opened stops the node with a clear error") {
  temp_dir dir;
  SUBCASE("a folder that does not exist") {
    auto r = run_to_exit(dir.path(), {"--journal.path=" + (dir.path() / "no/such/j.db").string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("cannot open the journal") != std::string::npos);
  }
  SUBCASE("a file that is not a database") {
    auto junk = dir.write("junk.db", std::string(4096, 'x'));
    auto r = run_to_exit(dir.path(), {"--journal.path=" + junk});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("cannot open the journal") != std::string::npos);
    CHECK(read_file(junk) == std::string(4096, 'x'));
  }
}

TEST_CASE("a journal locked by another process delays commits and loses nothing") {
  temp_dir dir;
  auto db_path = dir.path() / "j.db";
  node_process node{dir.path(),
                    "node",
                    {"--journal.path=" + db_path.string(), "--source.interval=20ms",
                     "--source.burst=5", "--source.print=false", "--processor.latency=5ms",
                     "--shipper.latency=5ms", "--shipper.retry-delay=10ms"}};
  REQUIRE(node.wait_for_log("started", 10s));
  std::this_thread::sleep_for(500ms);
  {
    // The busy timeout waits out a commit of the node that holds the write lock this moment.
    SQLite::Database other{db_path.string(), SQLite::OPEN_READWRITE, 5000};
    other.exec("BEGIN IMMEDIATE");
    REQUIRE(node.wait_for_log("journal commit of", 10s));
    std::this_thread::sleep_for(1s);
    other.exec("ROLLBACK");
  }
  REQUIRE(node.wait_for_log("journal commits again after a failure", 10s));
  std::this_thread::sleep_for(500ms);
  node.signal(SIGTERM);
  REQUIRE(node.wait(20s) == 0);
  // Every order the intake let in was committed once the lock was gone.
  CHECK(node.err().find("still in flight at shutdown") == std::string::npos);
  journal_view db{db_path};
  auto total = db.count("SELECT COUNT(*) FROM orders");
  CHECK(total > 20);
  CHECK(db.count("SELECT COUNT(*) FROM orders WHERE " + unfinished) == 0);
  auto counts = db.state_counts();
  CHECK(counts["completed"] + counts["failed"] + counts["rejected"] == total);
}

TEST_CASE("an endpoint that cannot listen stops the node with exit code 2 before it starts") {
  temp_dir dir;
  // A port this test holds open.
  listening_port held;
  auto taken = std::to_string(held.port());
  auto journal = "--journal.path=" + (dir.path() / "j.db").string();
  for (auto [key, flag] : std::vector<std::pair<std::string, std::string>>{
         {"http.bind", "--http.bind=127.0.0.1:" + taken},
         {"metrics.bind", "--metrics.bind=127.0.0.1:" + taken},
         {"admin", "--admin.port=" + taken}}) {
    CAPTURE(flag);
    auto r = run_to_exit(dir.path(), {journal, flag});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(key) != std::string::npos);
    CHECK(r.err.find(" started: journal ") == std::string::npos);
    CHECK(r.err.find("recovered") == std::string::npos);
  }
  for (std::string flag : {"--http.bind=127.0.0.1:70000", "--http.bind=:", "--http.bind=nohost:80x",
                           "--metrics.bind=127.0.0.1:99999"}) {
    CAPTURE(flag);
    auto r = run_to_exit(dir.path(), {journal, flag});
    CHECK(r.exit_code == 2);
  }
  auto r = run_to_exit(dir.path(), {journal, "--admin.bind=nohost", "--admin.port=" + taken});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("admin.bind") != std::string::npos);
}

TEST_CASE("--config-file naming a folder, /dev/zero or a FIFO exits 2 at once") {
  temp_dir dir;
  auto fifo = dir.path() / "fifo.ini";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (auto path : {dir.path().string(), std::string{"/dev/zero"}, fifo.string()}) {
    CAPTURE(path);
    auto start = clock_type::now();
    auto r = run_to_exit(dir.path(), {"--config-file=" + path});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(path) != std::string::npos);
    CHECK(clock_type::now() - start < 5s);
  }
}
