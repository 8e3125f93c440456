// The broker against a real RabbitMQ: orders out through the outbox and back in through the
// consumers, a broker restart in the middle of a stream, and two nodes sharing a queue.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <random>

#include "runtime/broker/amqp_session.hpp"
#include "runtime/broker/broker_codec.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/core/messages.hpp"
#include "runtime/core/random.hpp"
#include "tests/support/journal_view.hpp"
#include "tests/support/node_output.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

std::string amqp_url() {
  return env_or_fail("ORDERNODE_TEST_AMQP_URL");
}

// Exchange and queue names of one test case, so that cases never see each other's messages.
struct topology {
  std::string tag = "t" + std::to_string(std::random_device{}());
  std::string exchange = "orders-" + tag;
  std::string results = "results-" + tag;
  std::string prefix = "orders-" + tag + ".";

  std::vector<std::string> flags(const std::string& node_id) const {
    return {"--broker.enabled=true",           "--broker.url=" + amqp_url(),
            "--broker.exchange=" + exchange,   "--broker.results-exchange=" + results,
            "--broker.queue-prefix=" + prefix, "--broker.node-id=" + node_id,
            "--broker.reconnect-delay=100ms",  "--broker.max-reconnect-delay=1s"};
  }
};

std::vector<std::string> node_args(const temp_dir& dir, const std::string& name,
                                   std::vector<std::string> extra) {
  auto path = [&](const std::string& file) {
    return (dir.path() / (name + "-" + file)).string();
  };
  std::vector<std::string> args{"--journal.path=" + path("journal.db"),
                                "--notifier.mock-file=" + path("notifications.jsonl"),
                                "--shipper.ledger=" + path("ledger.txt"),
                                "--admin.port=0",
                                "--http.enabled=false",
                                "--metrics.bind=127.0.0.1:0",
                                "--routing.regions=[\"eu\", \"us\"]",
                                "--processor.latency=2ms",
                                "--processor.failure-rate=0.05",
                                "--shipper.latency=2ms",
                                "--shipper.failure-rate=0.1",
                                "--shipper.retry-delay=10ms",
                                "--source.interval=20ms",
                                "--source.burst=5",
                                "--source.print=false",
                                "--source.invalid-share=0.1",
                                "--log.level=info"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// A client of the test's own: publishes orders and reads what arrives on a queue.
struct amqp_client {
  explicit amqp_client(const std::string& url) {
    auto opened = amqp_session::open(url, 5000ms);
    REQUIRE_MESSAGE(opened, (opened ? "" : describe(opened.error())));
    session = std::move(*opened);
  }

  // Declares `queue` bound to `exchange` with `key` and starts consuming it.
  void listen(const std::string& queue, const std::string& exchange, const std::string& key) {
    REQUIRE_FALSE(session->declare_exchange(exchange, "topic"));
    REQUIRE_FALSE(session->declare_queue(queue, exchange, {key}));
    REQUIRE_FALSE(session->consume(queue, 1000));
  }

  void publish(const std::string& exchange, const std::vector<order>& xs) {
    std::vector<amqp_message> msgs;
    for (auto& x : xs)
      msgs.push_back({exchange, x.region, x.id, trace_id_of(x.id), encode_order(x)});
    REQUIRE_FALSE(session->enable_confirms());
    REQUIRE_FALSE(session->publish_confirmed(msgs, 10000ms));
  }

  // Message ids of everything delivered until `quiet` passes without a delivery.
  std::map<std::string, int> drain(std::chrono::milliseconds quiet) {
    std::map<std::string, int> result;
    for (;;) {
      auto next = session->next(quiet);
      REQUIRE(next);
      if (!*next)
        return result;
      ++result[(*next)->message_id];
      REQUIRE_FALSE(session->ack((*next)->tag));
    }
  }

  std::unique_ptr<amqp_session> session;
};

int64_t outbox_size(const fs::path& db) {
  journal_view j{db};
  return j.count("SELECT COUNT(*) FROM outbox");
}

// Every order id the node logged as recorded for the broker.
std::set<std::string> forwarded_ids(const std::vector<const node_process*>& runs) {
  std::set<std::string> result;
  for (auto* run : runs)
    for (auto& id : ids_of(run->err(), "order ", ": recorded for the broker"))
      result.insert(id);
  return result;
}

// Waits until every id in `ids` is final in the journal and the outbox is empty.
bool all_final(const fs::path& db, const std::set<std::string>& ids,
               std::chrono::milliseconds timeout) {
  return wait_until(
    [&] {
      journal_view j{db};
      auto final_ids = j.ids("NOT (" + unfinished + ")");
      return std::includes(final_ids.begin(), final_ids.end(), ids.begin(), ids.end())
             && j.count("SELECT COUNT(*) FROM outbox") == 0;
    },
    timeout);
}

// Stops `node` with SIGTERM once it runs (before, SIGTERM's default action would end it); on a
// failure shows the end of its log.
void stop(node_process& node) {
  CHECK(node.wait_for_log("started", 10s));
  node.signal(SIGTERM);
  auto code = node.wait(30s);
  auto err = node.err();
  INFO("node stderr tail: ", err.substr(err.size() > 3000 ? err.size() - 3000 : 0));
  CHECK(code == 0);
}

}  // namespace

TEST_CASE(
  "accepted orders go out through the broker, come back in, and each result is "
  "published") {
  temp_dir dir;
  topology t;
  amqp_client results{amqp_url()};
  results.listen("watch-" + t.tag, t.results, "#");
  auto args = node_args(dir, "a", t.flags("a"));
  std::set<std::string> forwarded;
  {
    node_process node{dir.path(), "run1", args};
    REQUIRE(node.wait_for_log("broker publisher connected", 10s));
    REQUIRE(node.wait_for_log("broker consumer connected", 10s));
    std::this_thread::sleep_for(2s);
    stop(node);
    forwarded = forwarded_ids({&node});
  }
  REQUIRE(forwarded.size() > 100);
  // Whatever was still in the broker or the outbox finishes on the next start.
  auto drain_args = args;
  drain_args.push_back("--source.enabled=false");
  node_process node{dir.path(), "run2", drain_args};
  auto db = dir.path() / "a-journal.db";
  CHECK(all_final(db, forwarded, 30s));
  journal_view j{db};
  auto ids = j.ids();
  // Orders of a served region travel through the broker; each is in the journal once.
  CHECK(std::includes(ids.begin(), ids.end(), forwarded.begin(), forwarded.end()));
  CHECK(j.count("SELECT COUNT(*) FROM order_history WHERE state = 'received' AND stage = "
                "'intake'")
        == static_cast<int64_t>(ids.size()));
  CHECK(j.count("SELECT COUNT(*) FROM orders WHERE state = 'rejected'") > 0);
  // Every finished order's result reached the results exchange (at least once).
  auto seen = results.drain(3s);
  auto final_ids = j.ids("NOT (" + unfinished + ")");
  for (auto& id : final_ids)
    CHECK_MESSAGE(seen.count(id) > 0, "no result for order ", id);
  CHECK(seen.size() == final_ids.size());
  CHECK(j.count("SELECT COUNT(*) FROM errors WHERE type = 'result_missing'") == 0);
  stop(node);
}

TEST_CASE(
  "a redelivered order is processed once and a malformed message is rejected and "
  "recorded") {
  temp_dir dir;
  topology t;
  auto args = node_args(dir, "c", t.flags("c"));
  args.push_back("--source.enabled=false");
  args.push_back("--broker.publish=false");
  args.push_back("--processor.failure-rate=0");
  args.push_back("--shipper.failure-rate=0");
  node_process node{dir.path(), "consumer", args};
  REQUIRE(node.wait_for_log("broker consumer connected", 10s));
  amqp_client client{amqp_url()};
  std::vector<order> xs;
  for (int i = 0; i < 50; ++i)
    xs.push_back(new_order("keyboard", 2, i % 2 == 0 ? "eu" : "us", false, "test"));
  client.publish(t.exchange, xs);
  client.publish(t.exchange, xs);  // Every order a second time: at-least-once delivery.
  std::vector<amqp_message> junk{{t.exchange, "eu", "junk-1", "", "{\"id\": 42}"},
                                 {t.exchange, "us", "junk-2", "", "not json"}};
  REQUIRE_FALSE(client.session->publish_confirmed(junk, 10000ms));
  auto db = dir.path() / "c-journal.db";
  std::set<std::string> ids;
  for (auto& x : xs)
    ids.insert(x.id);
  REQUIRE(all_final(db, ids, 30s));
  CHECK(wait_until(
    [&] {
      journal_view j{db};
      return j.count("SELECT COUNT(*) FROM errors WHERE type = 'malformed_message'") == 2;
    },
    10s));
  journal_view j{db};
  CHECK(j.ids() == ids);
  CHECK(j.count("SELECT COUNT(*) FROM orders WHERE state = 'completed'") == 50);
  auto ledger = ledger_counts(dir.path() / "c-ledger.txt");
  CHECK(ledger.size() == 50);
  for (auto& [id, n] : ledger)
    CHECK_MESSAGE(n == 1, "order ", id, " shipped ", n, " times");
  // Nothing is left in the queues: the duplicates were acked, the junk rejected for good.
  auto left = client.session->inspect_queue(t.prefix + "eu");
  REQUIRE(left);
  CHECK(left->messages == 0);
  stop(node);
}

TEST_CASE("the broker stopped and restarted in the middle of a stream loses nothing") {
  auto ctl = env_or_fail("ORDERNODE_TEST_RABBITMQ_CTL");
  auto rmq_dir = env_or_fail("ORDERNODE_TEST_RABBITMQ_DIR");
  temp_dir dir;
  topology t;
  auto args = node_args(dir, "b", t.flags("b"));
  auto db = dir.path() / "b-journal.db";
  std::set<std::string> forwarded;
  {
    node_process node{dir.path(), "run1", args};
    REQUIRE(node.wait_for_log("broker consumer connected", 10s));
    std::this_thread::sleep_for(1s);
    REQUIRE(std::system((ctl + " pause-rabbitmq " + rmq_dir).c_str()) == 0);
    // The node keeps accepting orders into its outbox while the broker is away.
    CHECK(wait_until([&] { return outbox_size(db) > 50; }, 10s));
    REQUIRE(std::system((ctl + " resume-rabbitmq " + rmq_dir).c_str()) == 0);
    CHECK(wait_until([&] { return outbox_size(db) < 20; }, 20s));
    std::this_thread::sleep_for(1s);
    stop(node);
    forwarded = forwarded_ids({&node});
    CHECK(count_of(node.err(), "broker publisher connected") >= 2);
  }
  REQUIRE(forwarded.size() > 100);
  auto drain_args = args;
  drain_args.push_back("--source.enabled=false");
  node_process node{dir.path(), "run2", drain_args};
  CHECK(all_final(db, forwarded, 30s));
  stop(node);
}

TEST_CASE("two nodes consuming one queue share the work; a SIGKILLed one loses nothing") {
  temp_dir dir;
  topology t;
  auto consumer_args = [&](const std::string& name) {
    auto args = node_args(dir, name, t.flags(name));
    args.push_back("--source.enabled=false");
    args.push_back("--broker.publish=false");
    // A full intake: each node always holds deliveries it could not admit yet, unacked.
    args.push_back("--broker.prefetch=50");
    args.push_back("--node.max-in-flight=20");
    args.push_back("--processor.latency=20ms");
    return args;
  };
  auto a = std::make_unique<node_process>(dir.path(), "a1", consumer_args("a"));
  node_process b{dir.path(), "b", consumer_args("b")};
  REQUIRE(a->wait_for_log("broker consumer connected", 10s));
  REQUIRE(b.wait_for_log("broker consumer connected", 10s));
  amqp_client client{amqp_url()};
  std::vector<order> xs;
  for (int i = 0; i < 3000; ++i)
    xs.push_back(new_order("keyboard", 2, "eu", false, "test"));
  client.publish(t.exchange, xs);
  std::set<std::string> all;
  for (auto& x : xs)
    all.insert(x.id);
  auto finished_in = [&](const std::string& name) {
    journal_view j{dir.path() / (name + "-journal.db")};
    return j.ids("NOT (" + unfinished + ")");
  };
  REQUIRE(wait_until([&] { return finished_in("a").size() > 100; }, 20s));
  a.reset();  // SIGKILL in the middle of the stream.
  a = std::make_unique<node_process>(dir.path(), "a2", consumer_args("a"));
  auto done = [&] {
    auto x = finished_in("a");
    auto y = finished_in("b");
    x.insert(y.begin(), y.end());
    return x;
  };
  CHECK(wait_until([&] { return done() == all; }, 60s));
  auto in_a = finished_in("a");
  auto in_b = finished_in("b");
  MESSAGE("node a finished ", in_a.size(), ", node b ", in_b.size(), " of ", all.size());
  CHECK(in_a.size() > 100);
  CHECK(in_b.size() > 100);
  auto left = client.session->inspect_queue(t.prefix + "eu");
  REQUIRE(left);
  CHECK(left->messages == 0);
  stop(*a);
  stop(b);
}
