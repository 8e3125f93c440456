// A real Prometheus (tools/test.sh starts it) scrapes a real ordernode; the test reads the
// numbers back through Prometheus's HTTP API and runs the dashboard's queries and the alerting
// rules there.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <unistd.h>

#include "tests/support/dashboard.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

using namespace ordernode::test;
using ordernode::test::http_get;
using ordernode::test::http_request;
using ordernode::test::url_encode;

namespace {

constexpr auto job = "ordernode-e2e";

// Adds to the Prometheus config, once, a job that scrapes every target listed in the files
// of `targets_dir` (file_sd, re-read on change) and our alerting rules; then reloads it.
void prepare_prometheus(const std::string& prometheus, const fs::path& config,
                        const fs::path& targets_dir, const fs::path& rules) {
  fs::create_directories(targets_dir);
  auto text = read_file(config);
  REQUIRE_MESSAGE(!text.empty(), "cannot read ", config.string());
  if (text.find(std::string{"job_name: "} + job) == std::string::npos) {
    REQUIRE_MESSAGE(text.find("rule_files:") == std::string::npos, config.string(),
                    " has rule_files already; cannot add the test job");
    if (text.find("scrape_configs:") == std::string::npos)
      text += "\nscrape_configs:\n";
    // scrape_configs is the file's last key (tools/test.sh writes it so).
    text += "  - job_name: " + std::string{job} + "\n" + "    file_sd_configs:\n"
            + "      - files: ['" + (targets_dir / "*.json").string() + "']\n"
            + "rule_files:\n  - '" + rules.string() + "'\n";
    std::ofstream{config} << text;
  }
  auto reload = http_request(prometheus + "/-/reload", "POST");
  INFO(reload.body);
  REQUIRE(reload.status == 200);
}

// The result of an instant query, or a null json on an error status.
nlohmann::json query(const std::string& prometheus, const std::string& promql) {
  auto reply = http_get(prometheus + "/api/v1/query?query=" + url_encode(promql));
  if (reply.status != 200)
    return nullptr;
  auto doc = nlohmann::json::parse(reply.body, nullptr, false);
  if (doc.is_discarded() || doc.value("status", "") != "success")
    return nullptr;
  return doc.at("data").at("result");
}

// The value of the first sample of `promql`, or -1 when there is none.
double value_of(const std::string& prometheus, const std::string& promql) {
  auto result = query(prometheus, promql);
  if (!result.is_array() || result.empty())
    return -1;
  return std::stod(result.at(0).at("value").at(1).get<std::string>());
}

}  // namespace

TEST_CASE("Prometheus scrapes a running node, answers its numbers and loads the alert rules") {
  auto prometheus = env_or_fail("ORDERNODE_TEST_PROMETHEUS");
  auto config = fs::path{env_or_fail("ORDERNODE_TEST_PROMETHEUS_CONFIG")};
  auto source = fs::path{env_or_fail("ORDERNODE_SOURCE_DIR")};
  auto targets_dir = config.parent_path() / "ordernode-targets";
  prepare_prometheus(prometheus, config, targets_dir, source / "config/prometheus/alerts.yml");
  temp_dir dir;
  node_process p{dir.path(),
                 "node",
                 {"--metrics.bind=127.0.0.1:0", "--journal.path=" + (dir.path() / "p.db").string(),
                  "--source.interval=100ms", "--source.burst=5", "--source.print=false"}};
  auto port = metrics_port(p);
  auto run = "e2e-" + std::to_string(getpid()) + "-" + std::to_string(port);
  auto targets = targets_dir / (run + ".json");
  std::ofstream{targets} << R"([{"targets": ["127.0.0.1:)" << port << R"("], "labels": {"run": ")"
                         << run << R"("}}])";
  struct remove_on_exit {
    fs::path path;
    ~remove_on_exit() {
      std::error_code ec;
      fs::remove(path, ec);
    }
  } cleanup{targets};
  auto sel = "{job=\"" + std::string{job} + "\",run=\"" + run + "\"}";
  // The first scrape lands some seconds after the target appears.
  CHECK(wait_until([&] { return value_of(prometheus, "up" + sel) == 1; }, 40s));
  auto completed = "sum(ordernode_orders_finished_total{job=\"" + std::string{job} + "\",run=\""
                   + run + "\",state=\"completed\"})";
  CHECK(wait_until([&] { return value_of(prometheus, completed) > 0; }, 40s));
  auto accepted = value_of(prometheus, "sum(ordernode_orders_accepted_total" + sel + ")");
  CHECK(accepted >= value_of(prometheus, completed));
  // Every dashboard query is valid PromQL for this Prometheus.
  auto dashboard = load_json(source / "config/grafana/dashboards/ordernode.json");
  for (auto expr : dashboard_queries(dashboard)) {
    for (auto [from, to] : {std::pair<std::string, std::string>{"$__rate_interval", "1m"},
                            {"$region", ".*"},
                            {"$instance", ".*"}})
      for (auto pos = expr.find(from); pos != std::string::npos; pos = expr.find(from))
        expr.replace(pos, from.size(), to);
    CAPTURE(expr);
    CHECK_FALSE(query(prometheus, expr).is_null());
  }
  // Prometheus loaded the alerting rules and evaluates them without errors.
  std::set<std::string> alerts;
  REQUIRE(wait_until(
    [&] {
      alerts.clear();
      auto reply = http_get(prometheus + "/api/v1/rules?type=alert");
      auto doc = nlohmann::json::parse(reply.body, nullptr, false);
      if (doc.is_discarded() || !doc.contains("data"))
        return false;
      for (auto& group : doc["data"]["groups"])
        for (auto& rule : group["rules"])
          if (rule.value("health", "") == "ok")
            alerts.insert(rule.value("name", ""));
      return alerts.size() >= 4;
    },
    20s));
  CHECK(alerts
        == std::set<std::string>{"BrokerLagHigh", "OrderErrorRateHigh", "OrderNodeDown",
                                 "OrderThroughputDrop"});
  p.signal(SIGTERM);
  CHECK(p.wait(15s) == 0);
}
