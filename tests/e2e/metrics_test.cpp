// Starts the real ordernode binary and reads its /metrics: live numbers, and every metric the
// Grafana dashboard queries.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "tests/support/dashboard.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

using namespace ordernode::test;
using ordernode::test::http_get;

namespace {

// The value of the sample line `series` (name and labels exactly as exposed), or -1.
double sample(const std::string& text, const std::string& series) {
  auto pos = ("\n" + text).find("\n" + series + " ");
  if (pos == std::string::npos)
    return -1;
  return std::stod(text.substr(pos + series.size() + 1));
}

// Whether the exposition has a sample of `name` (any labels).
bool exposes(const std::string& text, const std::string& name) {
  auto all = "\n" + text;
  return all.find("\n" + name + "{") != std::string::npos
         || all.find("\n" + name + " ") != std::string::npos;
}

double sum_of(const std::string& text, const std::string& prefix) {
  double result = 0;
  for (auto pos = text.find(prefix); pos != std::string::npos; pos = text.find(prefix, pos + 1)) {
    if (pos > 0 && text[pos - 1] != '\n')
      continue;
    auto end = text.find('\n', pos);
    auto line = text.substr(pos, end - pos);
    result += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return result;
}

std::vector<std::string> node_args(const temp_dir& dir, const std::string& bind) {
  return {
    "--metrics.bind=" + bind, "--journal.path=" + (dir.path() / "metrics.db").string(),
    "--source.interval=50ms", "--source.burst=5",
    "--source.print=false",   "--shipper.retry-delay=10ms",
  };
}

}  // namespace

TEST_CASE("metric_names finds the metrics of a PromQL expression and nothing else") {
  CHECK(
    metric_names(
      R"q(histogram_quantile(0.99, sum by (region, le) (rate(a_bucket{x="y",z=~"$r"}[$__rate_interval]))) / on() group_left(q) b offset 5m and c_total > bool 1e3)q")
    == std::set<std::string>{"a_bucket", "b", "c_total"});
  CHECK(metric_names(R"q(sum without (instance) (up{job="sum(x)"}) or vector(1))q")
        == std::set<std::string>{"up"});
}

TEST_CASE("a running node exposes live numbers on /metrics") {
  temp_dir dir;
  node_process p{dir.path(), "node", node_args(dir, "127.0.0.1:0")};
  auto url = "http://127.0.0.1:" + std::to_string(metrics_port(p)) + "/metrics";
  std::string text;
  auto done = wait_until(
    [&] {
      auto reply = http_get(url);
      text = reply.body;
      return reply.status == 200
             && sum_of(text, "ordernode_orders_finished_total{region=\"eu\",state=\"completed\"")
                  >= 5;
    },
    20s);
  INFO(text);
  REQUIRE(done);
  auto accepted = sum_of(text, "ordernode_orders_accepted_total{");
  auto finished = sum_of(text, "ordernode_orders_finished_total{");
  CHECK(accepted >= finished);
  CHECK(sum_of(text, "ordernode_order_duration_seconds_count{") > 0);
  CHECK(sample(text, "ordernode_processors{region=\"eu\"}") >= 1);
  CHECK(sample(text, "ordernode_stage_messages_in_total{stage=\"validator\"}") > 0);
  CHECK(sample(text, "ordernode_stage_messages_out_total{stage=\"processor\"}") > 0);
  CHECK(sample(text, "ordernode_journal_batch_rows_count") > 0);
  CHECK(sample(text, "ordernode_journal_commit_seconds_count") > 0);
  CHECK(sample(text, "ordernode_actor_messages_total{actor=\"journal\",kind=\"journal\"}") > 0);
  CHECK(sample(text, "ordernode_actor_up{actor=\"validator\",kind=\"validator\"}") == 1);
  CHECK(sample(text, "ordernode_orders_in_flight") >= 0);
  // The counters only grow.
  auto later = http_get(url).body;
  CHECK(sum_of(later, "ordernode_orders_accepted_total{") >= accepted);
  p.signal(SIGTERM);
  CHECK(p.wait(15s) == 0);
}

TEST_CASE("the Grafana dashboard is valid and every metric it queries is exposed") {
  auto source = fs::path{env_or_fail("ORDERNODE_SOURCE_DIR")};
  auto dashboard = load_json(source / "config/grafana/dashboards/ordernode.json");
  CHECK(dashboard.at("uid").get<std::string>() == "ordernode-overview");
  auto datasources = read_file(source / "config/grafana/provisioning/datasources/prometheus.yml");
  auto dashboards = read_file(source / "config/grafana/provisioning/dashboards/ordernode.yml");
  CHECK(dashboards.find("type: file") != std::string::npos);
  std::set<std::string> names;
  size_t panels = 0;
  for (auto& panel : dashboard.at("panels")) {
    ++panels;
    CAPTURE(panel.at("title").get<std::string>());
    CHECK(panel.at("datasource").at("uid").get<std::string>() == "ordernode-prometheus");
    CHECK(datasources.find("uid: ordernode-prometheus") != std::string::npos);
    CHECK_FALSE(panel.at("targets").empty());
    for (auto& target : panel.at("targets")) {
      auto found = metric_names(target.at("expr").get<std::string>());
      CHECK_FALSE(found.empty());
      names.insert(found.begin(), found.end());
    }
  }
  CHECK(panels >= 10);
  // Variables read label_values(METRIC, LABEL).
  for (auto& var : dashboard.at("templating").at("list")) {
    auto def = var.at("definition").get<std::string>();
    auto open = def.find('(');
    REQUIRE(def.rfind("label_values(", 0) == 0);
    names.insert(def.substr(open + 1, def.find(',') - open - 1));
  }
  CHECK(names.size() >= 20);
  temp_dir dir;
  node_process p{dir.path(), "node", node_args(dir, "127.0.0.1:0")};
  auto url = "http://127.0.0.1:" + std::to_string(metrics_port(p)) + "/metrics";
  std::string text;
  REQUIRE(wait_until(
    [&] {
      text = http_get(url).body;
      return sum_of(text, "ordernode_orders_finished_total{") > 0;
    },
    20s));
  for (auto& name : names) {
    CAPTURE(name);
    CHECK(exposes(text, name));
  }
  p.signal(SIGTERM);
  CHECK(p.wait(15s) == 0);
}

TEST_CASE("metrics.bind: empty turns the listener off, a bad value or a taken port exits 2") {
  temp_dir dir;
  // As a config file writes it, and as a shell passes --metrics.bind="" (no quotes left).
  for (std::string empty : {"\"\"", ""})
    SUBCASE(("empty " + empty).c_str()) {
      node_process p{dir.path(), "node", node_args(dir, empty)};
      CHECK(p.wait_for_log(" started: journal ", 10s).has_value());
      CHECK(p.err().find("metrics on") == std::string::npos);
      p.signal(SIGTERM);
      CHECK(p.wait(15s) == 0);
    }
  SUBCASE("no port") {
    auto r = run_to_exit(dir.path(), {"--metrics.bind=localhost"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("metrics.bind") != std::string::npos);
  }
  SUBCASE("taken") {
    node_process first{dir.path(), "first", node_args(dir, "127.0.0.1:0")};
    auto port = metrics_port(first);
    temp_dir other;
    node_process second{other.path(), "second",
                        node_args(other, "127.0.0.1:" + std::to_string(port))};
    CHECK(second.wait(15s) == 2);
    INFO(second.err());
    auto line = second.wait_for_log("cannot start", 1s);
    REQUIRE(line.has_value());
    CHECK(line->find("metrics.bind") != std::string::npos);
    CHECK(second.err().find(" started: journal ") == std::string::npos);
    first.signal(SIGTERM);
    CHECK(first.wait(15s) == 0);
  }
}
