#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include <caf/all.hpp>

#include "runtime/core/errors.hpp"
#include "runtime/metrics/metrics_endpoint.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/orders.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

order make(const std::string& region, bool vip) {
  return make_order("o-" + region, "mouse", 1, region, vip);
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("orders count under their region and VIP flag; unknown regions under other") {
  node_metrics m{{"eu", "us"}, nullptr};
  m.accepted(make("eu", false));
  m.accepted(make("eu", true));
  m.accepted(make("eu", true));
  m.accepted(make("mars", false));
  m.finished(make("eu", true), order_state::completed, 0.25);
  m.finished(make("us", false), order_state::failed, 0.5);
  m.finished(make("us", false), order_state::rejected, -1);
  m.finished(make("mars", false), order_state::dead_letter, -1);
  auto text = render_metrics(m);
  INFO(text);
  CHECK(has_line(text, R"(ordernode_orders_accepted_total{region="eu",vip="false"} 1)"));
  CHECK(has_line(text, R"(ordernode_orders_accepted_total{region="eu",vip="true"} 2)"));
  CHECK(has_line(text, R"(ordernode_orders_accepted_total{region="other",vip="false"} 1)"));
  CHECK(has_line(text, R"(ordernode_orders_accepted_total{region="us",vip="false"} 0)"));
  CHECK(has_line(text,
                 R"(ordernode_orders_finished_total{region="eu",state="completed",vip="true"} 1)"));
  CHECK(
    has_line(text, R"(ordernode_orders_finished_total{region="us",state="failed",vip="false"} 1)"));
  CHECK(has_line(text,
                 R"(ordernode_orders_finished_total{region="us",state="rejected",vip="false"} 1)"));
  CHECK(has_line(
    text, R"(ordernode_orders_finished_total{region="other",state="dead_letter",vip="false"} 1)"));
  CHECK(has_line(
    text, R"(ordernode_order_duration_seconds_count{region="eu",state="completed",vip="true"} 1)"));
  CHECK(has_line(
    text,
    R"(ordernode_order_duration_seconds_sum{region="eu",state="completed",vip="true"} 0.25)"));
  CHECK(has_line(
    text,
    R"(ordernode_order_duration_seconds_bucket{region="eu",state="completed",vip="true",le="0.25"} 1)"));
  CHECK(has_line(
    text,
    R"(ordernode_order_duration_seconds_bucket{region="eu",state="completed",vip="true",le="0.1"} 0)"));
  auto counts = m.counts();
  CHECK(counts.accepted == 4);
  CHECK(counts.completed == 1);
  CHECK(counts.failed == 3);
}

TEST_CASE("stage metrics count messages, errors and the mailbox into the actor registry") {
  auto actors = std::make_shared<actor_registry>();
  node_metrics m{{"eu"}, actors};
  auto s = m.stage("processor", "processor-eu");
  s.handled(7);
  s.handled(3);
  s.error();
  s.out->Increment();
  s.seconds->Observe(0.002);
  auto again = m.stage("processor", "processor-eu");
  CHECK(again.in == s.in);
  CHECK(again.counters == s.counters);
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  // One argument: CAF 0.17 binds none through a null pointer (UBSan flags it).
  auto idle = sys.spawn(
    [](int) -> caf::behavior {
      return {[](int) {
      }};
    },
    0);
  actors->started("journal", "journal", idle);
  actors->started("journal", "journal", idle);
  auto text = render_metrics(m);
  INFO(text);
  CHECK(has_line(text, R"(ordernode_stage_messages_in_total{stage="processor"} 2)"));
  CHECK(has_line(text, R"(ordernode_stage_messages_out_total{stage="processor"} 1)"));
  CHECK(has_line(text, R"(ordernode_stage_errors_total{stage="processor"} 1)"));
  CHECK(has_line(text, R"(ordernode_stage_duration_seconds_count{stage="processor"} 1)"));
  CHECK(
    has_line(text, R"(ordernode_actor_messages_total{actor="processor-eu",kind="processor"} 2)"));
  CHECK(has_line(text, R"(ordernode_actor_errors_total{actor="processor-eu",kind="processor"} 1)"));
  CHECK(has_line(text, R"(ordernode_actor_mailbox_size{actor="processor-eu",kind="processor"} 3)"));
  CHECK(has_line(text, R"(ordernode_actor_restarts_total{actor="journal",kind="journal"} 1)"));
  CHECK(has_line(text, R"(ordernode_actor_up{actor="journal",kind="journal"} 1)"));
  // Counters without a running actor of their own have no `up`.
  CHECK(text.find(R"(ordernode_actor_up{actor="processor-eu")") == std::string::npos);
  actors->stopped("journal", "killed");
  CHECK(has_line(render_metrics(m), R"(ordernode_actor_up{actor="journal",kind="journal"} 0)"));
  caf::anon_send_exit(idle, caf::exit_reason::user_shutdown);
}

TEST_CASE("the broker families exist before the broker records anything") {
  node_metrics m{{"eu"}, nullptr};
  m.broker().publishes->Increment(3);
  m.broker().confirms_ack->Increment(2);
  m.broker().lag_seconds->Set(1.5);
  auto text = render_metrics(m);
  CHECK(has_line(text, "ordernode_broker_publishes_total 3"));
  CHECK(has_line(text, R"(ordernode_broker_confirms_total{outcome="ack"} 2)"));
  CHECK(has_line(text, R"(ordernode_broker_confirms_total{outcome="nack"} 0)"));
  CHECK(has_line(text, "ordernode_broker_deliveries_total 0"));
  CHECK(has_line(text, "ordernode_broker_acks_total 0"));
  CHECK(has_line(text, "ordernode_broker_outbox_backlog 0"));
  CHECK(has_line(text, "ordernode_broker_lag_seconds 1.5"));
  CHECK(has_line(text, "ordernode_broker_queue_depth 0"));
  CHECK(has_line(text, "ordernode_broker_connected{role=\"publisher\"} 0"));
  CHECK(has_line(text, "ordernode_broker_connected{role=\"consumer\"} 0"));
  CHECK(has_line(text, "ordernode_broker_consumers 0"));
}

TEST_CASE("the endpoint serves the same exposition over HTTP; a taken port is an error") {
  auto m = std::make_shared<node_metrics>(std::vector<std::string>{"eu"}, nullptr);
  m->accepted(make("eu", false));
  auto endpoint = serve_metrics(m, "127.0.0.1:0");
  REQUIRE_MESSAGE(endpoint, describe(endpoint.error()));
  auto port = (*endpoint)->port();
  REQUIRE(port > 0);
  auto reply = http_get("http://127.0.0.1:" + std::to_string(port) + "/metrics");
  CHECK(reply.status == 200);
  CHECK(has_line(reply.body, R"(ordernode_orders_accepted_total{region="eu",vip="false"} 1)"));
  auto second = serve_metrics(m, "127.0.0.1:" + std::to_string(port));
  REQUIRE_FALSE(second);
  CHECK(describe(second.error()).find("metrics.bind") != std::string::npos);
}

TEST_CASE("silent connections do not hold up a scrape for longer than the read timeout") {
  auto m = std::make_shared<node_metrics>(std::vector<std::string>{"eu"}, nullptr);
  auto endpoint = serve_metrics(m, "127.0.0.1:0");
  REQUIRE_MESSAGE(endpoint, describe(endpoint.error()));
  auto port = static_cast<uint16_t>((*endpoint)->port());
  std::vector<int> silent;
  for (int i = 0; i < 6; ++i) {
    auto fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    silent.push_back(fd);
  }
  auto start = std::chrono::steady_clock::now();
  auto reply =
    http_request("http://127.0.0.1:" + std::to_string(port) + "/metrics", "GET", "", 10000);
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(reply.status == 200);
  CHECK(waited < std::chrono::seconds(4));
  for (auto fd : silent)
    ::close(fd);
}
