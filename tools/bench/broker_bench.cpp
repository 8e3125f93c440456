// ordernode-broker-bench: orders end to end through RabbitMQ (the outbox, publish with confirms,
// consume, the flow, the result published and read back), against the raw librabbitmq
// publish-with-confirms rate measured in the same run on the same broker.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <unordered_set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/broker_consumer.hpp"
#include "runtime/broker/amqp_session.hpp"
#include "runtime/broker/broker_codec.hpp"
#include "runtime/node/config.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/node/flow.hpp"
#include "runtime/core/random.hpp"
#include "runtime/store/sqlite_store.hpp"
#include "tools/bench/baselines.hpp"
#include "tools/bench/bench_flags.hpp"
#include "tools/bench/flow_driver.hpp"

using namespace ordernode;
using namespace ordernode::bench;

namespace {

using clock_type = std::chrono::steady_clock;

struct bench_options {
  uint64_t orders = 100'000;
  uint64_t window = 0;  // 0: half of node.max-in-flight.
  bool json = false;
  std::string url = "amqp://guest:guest@127.0.0.1:5672";
  std::string dir;
};

[[noreturn]] void die(const std::string& what) {
  std::cerr << "ordernode-broker-bench: " << what << "\n";
  std::exit(1);
}

std::unique_ptr<amqp_session> open_session(const std::string& url) {
  auto session = amqp_session::open(url, std::chrono::seconds(5));
  if (!session)
    die(describe(session.error()));
  return std::move(*session);
}

void check(const caf::error& err) {
  if (err)
    die(describe(err));
}

double seconds_since(clock_type::time_point t0, clock_type::time_point t1) {
  return std::chrono::duration<double>(t1 - t0).count();
}

// Publishes `n` persistent messages of `body`'s size to a durable queue, `batch` per round of
// confirms, as the node's publisher does; returns messages per second.
double raw_publish_rate(const std::string& url, uint64_t n, size_t batch, const std::string& body,
                        const std::string& tag) {
  auto session = open_session(url);
  auto name = "bench-raw-" + tag;
  check(session->declare_exchange(name, "topic"));
  check(session->declare_queue(name, name, {"#"}));
  check(session->enable_confirms());
  std::vector<amqp_message> round;
  auto t0 = clock_type::now();
  for (uint64_t i = 0; i < n;) {
    round.clear();
    for (; round.size() < batch && i < n; ++i) {
      auto id = std::to_string(i);
      round.push_back(amqp_message{name, "eu", id, id, body});
    }
    check(session->publish_confirmed(round, std::chrono::seconds(30)));
  }
  auto rate = n / seconds_since(t0, clock_type::now());
  check(session->delete_queue(name));
  check(session->delete_exchange(name));
  return rate;
}

// Reads the results exchange on a thread of its own until it saw `expected` distinct orders;
// without acks, to put as little load of its own on the broker as it can.
class result_reader {
public:
  result_reader(const std::string& url, const std::string& exchange, const std::string& queue,
                uint64_t expected)
      : session_(open_session(url)), queue_(queue), expected_(expected) {
    check(session_->declare_exchange(exchange, "topic"));
    check(session_->declare_queue(queue, exchange, {"#"}));
    check(session_->consume(queue, 0, true));
    thread_ = std::thread{[this] {
      run();
    }};
  }

  ~result_reader() {
    stop_ = true;
    thread_.join();
  }

  // Blocks until every result arrived or `timeout` passed; returns when the last one came.
  std::optional<clock_type::time_point> wait(std::chrono::seconds timeout) {
    auto until = clock_type::now() + timeout;
    while (!done_ && clock_type::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!done_)
      return std::nullopt;
    return last_;
  }

  uint64_t seen() const {
    return seen_;
  }

  void remove() {
    stop_ = true;
    thread_.join();
    thread_ = std::thread{[] {
    }};
    check(session_->delete_queue(queue_));
  }

private:
  void run() {
    std::unordered_set<std::string> ids;
    while (!stop_ && !done_) {
      auto next = session_->next(std::chrono::milliseconds(100));
      if (!next)
        die("reading results: " + describe(next.error()));
      if (!*next)
        continue;
      if (ids.insert((*next)->message_id).second) {
        last_ = clock_type::now();
        seen_ = ids.size();
      }
      done_ = ids.size() >= expected_;
    }
  }

  std::unique_ptr<amqp_session> session_;
  std::string queue_;
  uint64_t expected_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::atomic<uint64_t> seen_{0};
  clock_type::time_point last_;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  bench_options opts;
  if (auto* url = std::getenv("ORDERNODE_BENCH_AMQP_URL"))
    opts.url = url;
  std::vector<char*> rest;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--orders=", 0) == 0)
      opts.orders = std::stoull(arg.substr(9));
    else if (arg.rfind("--window=", 0) == 0)
      opts.window = std::stoull(arg.substr(9));
    else if (arg.rfind("--url=", 0) == 0)
      opts.url = arg.substr(6);
    else if (arg == "--json")
      opts.json = true;
    else if (arg.rfind("--dir=", 0) == 0)
      opts.dir = arg.substr(6);
    else
      rest.push_back(argv[i]);
  }
  auto tag = make_uuid().substr(0, 8);
  if (opts.dir.empty())
    opts.dir = std::filesystem::temp_directory_path() / ("ordernode-broker-bench-" + tag);
  std::filesystem::create_directories(opts.dir);
  node_config cfg;
  auto defaults = bench_flags(opts.dir + "/bench.db");
  defaults.insert(
    defaults.end(),
    {"--node.max-in-flight=20000", "--broker.enabled=true", "--broker.url=" + opts.url,
     "--broker.exchange=bench-orders-" + tag, "--broker.results-exchange=bench-results-" + tag,
     "--broker.queue-prefix=bench-orders-" + tag + ".", "--broker.node-id=bench-" + tag});
  if (!load_bench_config(cfg, "ordernode-broker-bench", std::move(defaults), rest))
    return 2;
  if (cfg.cli_helptext_printed)
    return 0;
  if (opts.window == 0)
    opts.window = static_cast<uint64_t>(cfg.node.max_in_flight) / 2;
  auto body = encode_order(order{make_uuid(), "keyboard", 3, "eu", "bench", false, now()});
  std::fprintf(stderr, "baseline: raw librabbitmq publish with confirms, %llu messages ...\n",
               static_cast<unsigned long long>(opts.orders));
  auto raw =
    raw_publish_rate(opts.url, opts.orders, static_cast<size_t>(cfg.broker.batch), body, tag);
  std::fprintf(stderr, "flow: %llu orders through the broker and back ...\n",
               static_cast<unsigned long long>(opts.orders));
  auto& b = cfg.broker;
  result_reader results{opts.url, b.results_exchange, "bench-watch-" + tag, opts.orders};
  double e2e_seconds = 0;
  double flow_seconds = 0;
  uint64_t results_seen = 0;
  latency_histogram latency;
  {
    caf::actor_system sys{cfg};
    auto store = open_sqlite_store(sqlite_options_of(cfg.journal));
    if (!store)
      die(describe(store.error()));
    auto f = build_flow(
      sys, cfg,
      {std::shared_ptr<order_store>{std::move(*store)}, make_mock_processing(cfg.processor),
       make_mock_shipping(cfg.shipper), nullptr, nullptr});
    auto t0 = clock_type::now();
    latency = drive_orders(sys, f.intake.get(), f.journal, opts.orders, opts.window).latency;
    flow_seconds = seconds_since(t0, clock_type::now());
    auto last = results.wait(std::chrono::seconds(120));
    results_seen = results.seen();
    if (!last)
      die("only " + std::to_string(results_seen) + " of " + std::to_string(opts.orders)
          + " results came back");
    e2e_seconds = seconds_since(t0, *last);
    stop_flow(f);
  }
  results.remove();
  {
    auto session = open_session(opts.url);
    for (auto& route : cfg.routes())
      check(session->delete_queue(b.queue_prefix + route.name));
    check(session->delete_queue(results_queue(b)));
    check(session->delete_exchange(b.exchange));
    check(session->delete_exchange(b.results_exchange));
  }
  std::filesystem::remove_all(opts.dir);
  auto rate = opts.orders / e2e_seconds;
  auto ms = [](int64_t ns) {
    return ns / 1e6;
  };
  auto rss = peak_rss_bytes() / 1048576.0;
  if (opts.json) {
    std::printf(
      "{\"orders\": %llu, \"seconds\": %.3f, \"orders_per_second\": %.0f, "
      "\"raw_publish_confirmed_per_second\": %.0f, \"share_of_raw\": %.3f, "
      "\"latency_ms\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}, "
      "\"peak_rss_mib\": %.1f}\n",
      static_cast<unsigned long long>(opts.orders), e2e_seconds, rate, raw, rate / raw,
      ms(latency.quantile(0.5)), ms(latency.quantile(0.99)), ms(latency.max()), rss);
  } else {
    std::printf(
      "orders            %llu, each published, consumed, processed, its result "
      "published and read back\n",
      static_cast<unsigned long long>(opts.orders));
    std::printf("end to end        %.0f orders/s (%.2f s; the flow finished all in %.2f s)\n", rate,
                e2e_seconds, flow_seconds);
    std::printf(
      "baseline          raw publish with confirms %.0f msg/s (batch %d, persistent, "
      "durable queue)\n",
      raw, b.batch);
    std::printf("share of raw      %.0f%%\n", 100 * rate / raw);
    std::printf("latency accepted->final  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
                ms(latency.quantile(0.5)), ms(latency.quantile(0.99)), ms(latency.max()));
    std::printf("peak RSS          %.1f MiB\n", rss);
  }
  return 0;
}
