#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <string>

#include "runtime/node/config.hpp"
#include "runtime/core/errors.hpp"
#include "tests/support/argv.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode;
using namespace std::chrono_literals;
using namespace std::string_literals;
using ordernode::test::argv_list;
using ordernode::test::temp_dir;

namespace {

// Loads a config file with `content` plus the extra flags; returns the error text, or "" when
// the configuration is valid.
std::string load_file(const std::string& content) {
  temp_dir dir;
  auto path = dir.write("node.ini", content);
  node_config cfg;
  argv_list args{{"--config-file=" + path}};
  auto err = cfg.load(args.argc(), args.argv());
  return err ? describe(err) : std::string{};
}

}  // namespace

TEST_CASE("without flags and file the defaults load") {
  node_config cfg;
  argv_list args{{}};
  auto err = cfg.load(args.argc(), args.argv());
  REQUIRE_MESSAGE(!err, describe(err));
  CHECK(cfg.source.enabled);
  CHECK(cfg.source.interval == caf::timespan{1s});
  CHECK(cfg.source.burst == 1);
  CHECK(cfg.source.vip_share == doctest::Approx(0.1));
  CHECK(cfg.validation.min_quantity == 0);
  CHECK(cfg.regions == std::vector<std::string>{"eu", "us", "ap"});
  CHECK(cfg.processor.workers == 0);
  CHECK(cfg.processor.max_in_flight == 8);
  CHECK(cfg.processor.latency == caf::timespan{20ms});
  CHECK(cfg.shipper.max_retries == 3);
  CHECK(cfg.journal.path == "ordernode.db");
  CHECK(cfg.journal.synchronous == journal_sync::full);
  CHECK(cfg.journal.wal_limit_mib == 64);
  CHECK(cfg.node.max_in_flight == 10000);
  CHECK(cfg.node.level == log_level::info);
  CHECK_FALSE(cfg.version_requested);
  auto routes = cfg.routes();
  REQUIRE(routes.size() == 3);
  CHECK(routes[0].name == "eu");
  CHECK(routes[0].workers >= 1);
}

TEST_CASE("values are read from the config file") {
  temp_dir dir;
  auto path = dir.write("node.ini",
                        "[processor]\n"
                        "workers=3\n"
                        "latency=250ms\n"
                        "failure-rate=0.5\n"
                        "[journal]\n"
                        "path=\"/tmp/x.db\"\n"
                        "[routing]\n"
                        "regions=[\"eu=2\", \"us\"]\n"
                        "[source]\n"
                        "vip-share=0.25\n");
  node_config cfg;
  argv_list args{{"--config-file=" + path}};
  auto err = cfg.load(args.argc(), args.argv());
  REQUIRE_MESSAGE(!err, describe(err));
  CHECK(cfg.processor.workers == 3);
  CHECK(cfg.processor.latency == caf::timespan{250ms});
  CHECK(cfg.processor.failure_rate == doctest::Approx(0.5));
  CHECK(cfg.journal.path == "/tmp/x.db");
  CHECK(cfg.source.vip_share == doctest::Approx(0.25));
  auto routes = cfg.routes();
  REQUIRE(routes.size() == 2);
  CHECK(routes[0].name == "eu");
  CHECK(routes[0].workers == 2);
  CHECK(routes[1].name == "us");
  CHECK(routes[1].workers == 3);
}

TEST_CASE("a command line flag overrides the config file") {
  temp_dir dir;
  auto path = dir.write("node.ini",
                        "[processor]\n"
                        "workers=3\n"
                        "[journal]\n"
                        "path=\"from-file.db\"\n");
  node_config cfg;
  argv_list args{{"--config-file=" + path, "--processor.workers=5"}};
  auto err = cfg.load(args.argc(), args.argv());
  REQUIRE_MESSAGE(!err, describe(err));
  CHECK(cfg.processor.workers == 5);
  CHECK(cfg.journal.path == "from-file.db");
}

TEST_CASE("flags alone set values") {
  node_config cfg;
  argv_list args{{"--node.max-in-flight=7", "--shipper.retry-delay=1ms"}};
  auto err = cfg.load(args.argc(), args.argv());
  REQUIRE_MESSAGE(!err, describe(err));
  CHECK(cfg.node.max_in_flight == 7);
  CHECK(cfg.shipper.retry_delay == caf::timespan{1ms});
}

TEST_CASE("an unknown key in the file is an error naming the key") {
  auto text = load_file("[processor]\nbogus=1\n");
  CHECK(text.find("bad_config") != std::string::npos);
  CHECK(text.find("processor.bogus") != std::string::npos);
}

TEST_CASE("a value of the wrong type in the file is an error naming the key") {
  auto text = load_file("[processor]\nworkers=\"abc\"\n");
  CHECK(text.find("bad_config") != std::string::npos);
  CHECK(text.find("processor.workers") != std::string::npos);
}

TEST_CASE("an out of range value is an error naming the key") {
  struct bad_value {
    const char* file;
    const char* key;
    const char* also;  // another word the message holds
  };
  bad_value cases[] = {
    {"[source]\nvip-share=2.0\n", "source.vip-share", "between"},
    {"[source]\nvip-share=2\n", "source.vip-share", ""},
    {"[processor]\nfailure-rate=-1.0\n", "processor.failure-rate", "between"},
    {"[processor]\nfailure-rate=-1\n", "processor.failure-rate", ""},
    {"[journal]\nsynchronous=\"x\"\n", "journal.synchronous", "\"x\""},
    {"[journal]\nwal-limit=0\n", "journal.wal-limit", ""},
    {"[routing]\nregions=[\"eu=0\"]\n", "routing.regions", "eu"},
    {"[routing]\nregions=[\"eu\", \"eu=2\"]\n", "routing.regions", ""},
    {"[processor]\nmax-in-flight=0\n", "processor.max-in-flight", ""},
    {"[log]\nlevel=\"loud\"\n", "log.level", ""},
  };
  for (auto& x : cases) {
    CAPTURE(x.file);
    auto text = load_file(x.file);
    CHECK(text.find(x.key) != std::string::npos);
    CHECK(text.find(x.also) != std::string::npos);
  }
}

TEST_CASE("the admin endpoint has defaults that run out of the box, and checked values") {
  node_config cfg;
  argv_list args{{}};
  REQUIRE_FALSE(cfg.load(args.argc(), args.argv()));
  CHECK(cfg.admin.port == 4242);
  CHECK(cfg.admin.bind == "127.0.0.1");
  CHECK(cfg.admin.token.empty());
  CHECK(cfg.admin.token_file.empty());
  CHECK(cfg.admin.max_message == 65536);
  CHECK(load_file("[admin]\nport=0\ntoken=\"\"\n").empty());
  CHECK(load_file("[admin]\nport=5000\nbind=\"0.0.0.0\"\ntoken=\"x\"\n").empty());
  CHECK(load_file("[admin]\ntoken-file=\"/run/on.token\"\nmax-message=4096\n").empty());
  CHECK(load_file("[admin]\nport=70000\n").find("admin.port") != std::string::npos);
  CHECK(load_file("[admin]\nport=-1\n").find("admin.port") != std::string::npos);
  CHECK(load_file("[admin]\nmax-message=100\n").find("admin.max-message") != std::string::npos);
  CHECK(load_file("[admin]\nbind=\"\"\n").find("admin.bind") != std::string::npos);
}

TEST_CASE("an out of range flag is an error naming the key") {
  node_config cfg;
  argv_list args{{"--shipper.failure-rate=1.5"}};
  auto err = cfg.load(args.argc(), args.argv());
  REQUIRE(err);
  CHECK(describe(err).find("shipper.failure-rate") != std::string::npos);
}

TEST_CASE("an unknown flag is an error") {
  node_config cfg;
  argv_list args{{"--processor.bogus=1"}};
  auto err = cfg.load(args.argc(), args.argv());
  REQUIRE(err);
  CHECK(describe(err).find("bad_config") != std::string::npos);
}

TEST_CASE("a valid file loads without error") {
  CHECK(load_file("[source]\nvip-share=1.0\n[processor]\nfailure-rate=0.0\nworkers=2\n") == "");
}

TEST_CASE("a missing config file is an error") {
  temp_dir dir;
  auto path = dir.file("does-not-exist.ini");
  node_config cfg;
  argv_list args{{"--config-file=" + path}};
  auto err = cfg.load(args.argc(), args.argv());
  REQUIRE(err);
  auto text = describe(err);
  CHECK(text.find("bad_config") != std::string::npos);
  CHECK(text.find(path) != std::string::npos);
}

TEST_CASE("a malformed config file is an error") {
  SUBCASE("unclosed group") {
    auto text = load_file("[processor\nworkers=1\n");
    CHECK(text.find("bad_config") != std::string::npos);
    CHECK(text.find("line") != std::string::npos);
  }
  SUBCASE("unterminated string") {
    CHECK(load_file("[journal]\npath=\"x.db\n").find("bad_config") != std::string::npos);
  }
  SUBCASE("key without value") {
    CHECK(load_file("[processor]\nworkers\n").find("bad_config") != std::string::npos);
  }
  SUBCASE("two values") {
    CHECK(load_file("[processor]\nworkers=3 4\n").find("bad_config") != std::string::npos);
  }
  SUBCASE("unclosed list followed by a group") {
    CHECK(load_file("[routing]\nregions=[\"eu\"\n[processor]\nworkers=3\n").find("bad_config")
          != std::string::npos);
  }
}

TEST_CASE("the broker is off by default, and its values are checked") {
  node_config cfg;
  argv_list args{{}};
  REQUIRE_FALSE(cfg.load(args.argc(), args.argv()));
  CHECK_FALSE(cfg.broker.enabled);
  CHECK(cfg.broker.publish);
  CHECK(cfg.broker.consume);
  CHECK(cfg.broker.exchange == "orders");
  CHECK(load_file("[broker]\nenabled=true\nurl=\"amqp://u:p@10.0.0.1:5673/vh\"\n").empty());
  auto names = [](const std::string& file, const std::string& key) {
    auto text = load_file(file);
    INFO(text);
    return text.find(key) != std::string::npos;
  };
  CHECK(names("[broker]\nurl=\"http://localhost:5672\"\n", "broker.url"));
  CHECK(names("[broker]\nexchange=\"\"\n", "broker.exchange"));
  CHECK(names("[broker]\nresults-exchange=\"orders\"\n", "broker.results-exchange"));
  CHECK(names("[broker]\nqueue-prefix=\"\"\n", "broker.queue-prefix"));
  CHECK(names("[broker]\nprefetch=0\n", "broker.prefetch"));
  CHECK(names("[broker]\nprefetch=70000\n", "broker.prefetch"));
  CHECK(names("[broker]\nbatch=0\n", "broker.batch"));
  CHECK(names("[broker]\npoll-interval=0s\n", "broker.poll-interval"));
  CHECK(names("[broker]\nresult-deadline=0s\n", "broker.result-deadline"));
  CHECK(names("[broker]\npublish=\"yes\"\n", "broker.publish"));
  CHECK(
    names("[broker]\nreconnect-delay=20s\nmax-reconnect-delay=10s\n", "broker.reconnect-delay"));
}

TEST_CASE("the node's id defaults to host:port, the broker's follows it, the lease is checked") {
  node_config cfg;
  argv_list args{{"--http.bind=127.0.0.1:8123"}};
  REQUIRE(!cfg.load(args.argc(), args.argv()));
  CHECK(cfg.node.id.size() > 5);
  CHECK(cfg.node.id.substr(cfg.node.id.size() - 5) == ":8123");
  CHECK(cfg.broker.node_id == cfg.node.id);
  CHECK(!cfg.clustered());
  node_config named;
  argv_list more{{"--node.id=a", "--journal.url=postgresql://u@127.0.0.1:1/db"}};
  REQUIRE(!named.load(more.argc(), more.argv()));
  CHECK(named.broker.node_id == "a");
  CHECK(named.clustered());
  CHECK(load_file("[cluster]\nlease=2s\n").find("cluster.lease") != std::string::npos);
  CHECK(load_file("[cluster]\nheartbeat=0s\n").find("cluster.heartbeat") != std::string::npos);
  CHECK(load_file("[cluster]\nenabled=false\nlease=30s\n").empty());
}

TEST_CASE("a bind address that cannot be listened on is an error naming its key") {
  for (auto key : {"http.bind", "metrics.bind"}) {
    for (auto value : {"127.0.0.1:70000", ":", "nohost:80x", "nohost:80", "127.0.0.1:", ":8080",
                       "127.0.0.1", "127.0.0.1:-1", "localhost:8080", "[::1:80", "1.2.3:80"}) {
      CAPTURE(key);
      CAPTURE(value);
      node_config cfg;
      argv_list args{{"--" + std::string{key} + "=" + value}};
      auto err = cfg.load(args.argc(), args.argv());
      REQUIRE(err);
      CHECK(describe(err).find(key) != std::string::npos);
    }
  }
  for (auto value : {"127.0.0.1:0", "0.0.0.0:65535", "[::1]:8080", "::1:8080"}) {
    CAPTURE(value);
    node_config cfg;
    argv_list args{{"--http.bind="s + value, "--metrics.bind="s + value}};
    CHECK_FALSE(cfg.load(args.argc(), args.argv()));
  }
}

TEST_CASE("--config-file must name a regular, readable file of bounded size") {
  temp_dir dir;
  auto fifo = dir.file("fifo.ini");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto big = dir.write("big.ini", "# " + std::string(size_t{2} << 20, 'x') + "\n");
  for (auto path : {dir.path().string(), std::string{"/dev/zero"}, fifo, big}) {
    CAPTURE(path);
    node_config cfg;
    argv_list args{{"--config-file=" + path}};
    auto err = cfg.load(args.argc(), args.argv());
    REQUIRE(err);
    auto text = describe(err);
    CHECK(text.find("bad_config") != std::string::npos);
    CHECK(text.find(path) != std::string::npos);
  }
}

TEST_CASE("admin.bind must be an IP address while the endpoint is on") {
  for (auto value : {"nohost", "", "127.0.0.1:80", "1.2.3"}) {
    CAPTURE(value);
    node_config cfg;
    argv_list args{{"--admin.bind="s + value}};
    auto err = cfg.load(args.argc(), args.argv());
    REQUIRE(err);
    CHECK(describe(err).find("admin.bind") != std::string::npos);
  }
  node_config cfg;
  argv_list args{{"--admin.bind=nohost", "--admin.port=0"}};
  CHECK_FALSE(cfg.load(args.argc(), args.argv()));
}
