// ordernode-bench: pushes N orders through the in-process flow with the journal on, and
// measures the baselines (raw CAF messaging, raw SQLite inserts) in the same run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/node/config.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/node/flow.hpp"
#include "runtime/core/random.hpp"
#include "runtime/store/sqlite_store.hpp"
#include "tools/bench/baselines.hpp"
#include "tools/bench/bench_flags.hpp"
#include "tools/bench/flow_driver.hpp"
#include "tools/bench/latency_histogram.hpp"
#include "tools/bench/store_ceiling.hpp"

using namespace ordernode;
using namespace ordernode::bench;

namespace {

struct bench_options {
  uint64_t orders = 1'000'000;
  bool json = false;
  std::string dir;
};

struct flow_result {
  uint64_t orders = 0;
  double seconds = 0;
  latency_histogram latency;
  totals final_totals;
};

flow_result run_flow(caf::actor_system& sys, const node_config& cfg, uint64_t orders) {
  auto store = open_sqlite_store({cfg.journal.path, false});
  if (!store)
    throw std::runtime_error(describe(store.error()));
  auto f = build_flow(
    sys, cfg,
    {std::shared_ptr<order_store>{std::move(*store)}, make_mock_processing(cfg.processor),
     make_mock_shipping(cfg.shipper), nullptr, nullptr});
  auto started = std::chrono::steady_clock::now();
  flow_result result;
  result.latency = drive_orders(sys, f.intake.get(), f.journal, orders,
                                static_cast<uint64_t>(cfg.node.max_in_flight) / 2);
  result.seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.orders = orders;
  caf::scoped_actor self{sys};
  self->request(f.aggregator.get(), caf::infinite, totals_atom::value)
    .receive([&](totals& x) { result.final_totals = std::move(x); }, [](caf::error&) {});
  stop_flow(f);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  bench_options opts;
  std::vector<char*> rest;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--orders=", 0) == 0)
      opts.orders = std::stoull(arg.substr(9));
    else if (arg == "--json")
      opts.json = true;
    else if (arg.rfind("--dir=", 0) == 0)
      opts.dir = arg.substr(6);
    else
      rest.push_back(argv[i]);
  }
  if (opts.dir.empty())
    opts.dir = std::filesystem::temp_directory_path() / ("ordernode-bench-" + make_uuid());
  std::filesystem::create_directories(opts.dir);
  node_config cfg;
  auto defaults = bench_flags(opts.dir + "/bench.db");
  defaults.push_back("--node.max-in-flight=4000");
  if (!load_bench_config(cfg, "ordernode-bench", std::move(defaults), rest))
    return 2;
  if (cfg.cli_helptext_printed)
    return 0;
  caf::actor_system sys{cfg};
  std::fprintf(stderr, "baseline: raw CAF one-way messages ...\n");
  auto caf_rate = caf_one_way_rate(sys, 2'000'000);
  std::fprintf(stderr, "baseline: raw SQLite batched inserts ...\n");
  auto sqlite_rate = sqlite_batched_insert_rate(opts.dir + "/baseline.db", 500'000, 10'000);
  // As many orders per commit as the journal's batch holds at six rows an order.
  auto per_commit = static_cast<size_t>(std::max(1, cfg.journal.max_batch / 6));
  std::fprintf(stderr, "baseline: the journal's SQLite store alone, %llu orders ...\n",
               static_cast<unsigned long long>(opts.orders));
  auto store_rate = journal_store_rate(opts.dir + "/store.db", opts.orders, per_commit);
  std::fprintf(stderr, "flow: %llu orders through the in-process flow, journal on ...\n",
               static_cast<unsigned long long>(opts.orders));
  auto r = run_flow(sys, cfg, opts.orders);
  auto rate = r.orders / r.seconds;
  auto ms = [](int64_t ns) {
    return ns / 1e6;
  };
  auto rss = peak_rss_bytes() / 1048576.0;
  if (opts.json) {
    std::printf(
      "{\"orders\": %llu, \"seconds\": %.3f, \"orders_per_second\": %.0f, "
      "\"latency_ms\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}, "
      "\"peak_rss_mib\": %.1f, \"completed\": %llu, \"quantity\": %lld, "
      "\"baseline\": {\"caf_one_way_msgs_per_second\": %.0f, "
      "\"sqlite_batched_rows_per_second\": %.0f, \"journal_store_orders_per_second\": %.0f}}\n",
      static_cast<unsigned long long>(r.orders), r.seconds, rate, ms(r.latency.quantile(0.5)),
      ms(r.latency.quantile(0.99)), ms(r.latency.max()), rss,
      static_cast<unsigned long long>(r.final_totals.all.completed),
      static_cast<long long>(r.final_totals.all.quantity), caf_rate, sqlite_rate, store_rate);
  } else {
    std::printf("orders            %llu in %.2f s\n", static_cast<unsigned long long>(r.orders),
                r.seconds);
    std::printf("throughput        %.0f orders/s (journal on, mock externals at zero latency)\n",
                rate);
    std::printf("latency accepted->completed  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
                ms(r.latency.quantile(0.5)), ms(r.latency.quantile(0.99)), ms(r.latency.max()));
    std::printf("latency samples   %llu\n", static_cast<unsigned long long>(r.latency.count()));
    std::printf("peak RSS          %.1f MiB\n", rss);
    std::printf("completed         %llu orders, quantity %lld\n",
                static_cast<unsigned long long>(r.final_totals.all.completed),
                static_cast<long long>(r.final_totals.all.quantity));
    std::printf(
      "baseline          raw CAF one-way %.0f msg/s; raw SQLite batched insert %.0f rows/s\n",
      caf_rate, sqlite_rate);
    std::printf("ceiling           the journal's SQLite store alone, no actors: %.0f orders/s\n",
                store_rate);
  }
  std::filesystem::remove_all(opts.dir);
  return 0;
}
