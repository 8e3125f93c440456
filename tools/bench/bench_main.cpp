// ordernode-bench: pushes orders through the in-process flow with the journal on, and measures
// in the same run, with the same journal options, the ceilings it is held against: raw CAF
// messaging, raw SQLite inserts and the journal's store alone. Then offers orders at half and
// at 90% of the measured maximum and reports the latency users feel at a sustainable rate.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"
#include "runtime/core/random.hpp"
#include "runtime/node/config.hpp"
#include "runtime/node/flow.hpp"
#include "tools/bench/baselines.hpp"
#include "tools/bench/bench_flags.hpp"
#include "tools/bench/flow_driver.hpp"
#include "tools/bench/latency_histogram.hpp"
#include "tools/bench/scratch_journal.hpp"
#include "tools/bench/store_ceiling.hpp"
#include "tools/support/proc_stat.hpp"

using namespace ordernode;
using namespace ordernode::bench;

namespace {

struct bench_options {
  uint64_t orders = 1'000'000;
  bool orders_given = false;
  double rate = 0;            // --rate: one paced run at this rate instead of the saturated one.
  double paced_seconds = 10;  // How long a paced run offers orders.
  bool json = false;
  std::string dir;
};

struct flow_run {
  const char* name = "";
  double offered = 0;  // Orders/s offered; 0 for the saturated run.
  uint64_t orders = 0;
  drive_result driven;
  totals final_totals;
  double node_cpu = 0;    // CPU seconds of this process during the run.
  double server_cpu = 0;  // CPU seconds of the PostgreSQL server's processes; 0 on SQLite.

  double rate() const {
    return driven.seconds > 0 ? static_cast<double>(orders) / driven.seconds : 0;
  }
};

// Writes back what earlier runs left dirty in the page cache and lets the file system settle
// (freeing the blocks of a deleted journal of a million orders), so that neither lands in
// this run's fsyncs: after a saturated run, the next paced run saw stalls of up to 180 ms
// that the same run alone never shows.
void quiet_disk() {
  ::sync();
  std::this_thread::sleep_for(std::chrono::seconds(2));
}

flow_run run_flow(caf::actor_system& sys, node_config& cfg, const std::string& dir,
                  const std::string& name, uint64_t orders, double rate) {
  quiet_disk();
  scratch_journal journal{cfg.journal, dir, name};
  auto store = open_journal_store(journal.options());
  if (!store)
    throw std::runtime_error(describe(store.error()));
  std::shared_ptr<order_store> journal_store{std::move(*store)};
  std::weak_ptr<order_store> alive = journal_store;
  auto f = build_flow(sys, cfg,
                      {std::move(journal_store), make_mock_processing(cfg.processor),
                       make_mock_shipping(cfg.shipper), nullptr, nullptr});
  flow_run result;
  result.offered = rate;
  result.orders = orders;
  auto node_cpu = proc::cpu_seconds(::getpid());
  auto server_cpu = proc::cpu_seconds_of_all("postgres");
  result.driven = drive_orders(sys, f.intake.get(), f.journal, orders,
                               static_cast<uint64_t>(cfg.node.max_in_flight) / 2, rate);
  result.node_cpu = proc::cpu_seconds(::getpid()) - node_cpu;
  result.server_cpu = proc::cpu_seconds_of_all("postgres") - server_cpu;
  caf::scoped_actor self{sys};
  self->request(f.aggregator.get(), caf::infinite, totals_atom::value)
    .receive([&](totals& x) { result.final_totals = std::move(x); }, [](caf::error&) {});
  stop_flow(f);
  // Closing the store checkpoints its WAL: let that finish before the next run starts.
  for (int i = 0; i < 3000 && !alive.expired(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return result;
}

double ms(int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

bool parse(int argc, char** argv, bench_options& opts, std::vector<char*>& rest) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    try {
      if (arg.rfind("--orders=", 0) == 0) {
        opts.orders = std::stoull(arg.substr(9));
        opts.orders_given = true;
      } else if (arg.rfind("--rate=", 0) == 0) {
        opts.rate = std::stod(arg.substr(7));
      } else if (arg.rfind("--paced-seconds=", 0) == 0) {
        opts.paced_seconds = std::stod(arg.substr(16));
      } else if (arg == "--json") {
        opts.json = true;
      } else if (arg.rfind("--dir=", 0) == 0) {
        opts.dir = arg.substr(6);
      } else {
        rest.push_back(argv[i]);
      }
    } catch (const std::exception&) {
      std::cerr << "ordernode-bench: " << arg << ": not a number\n";
      return false;
    }
  }
  if (opts.rate < 0 || opts.paced_seconds <= 0) {
    std::cerr << "ordernode-bench: --rate must be positive and --paced-seconds above 0\n";
    return false;
  }
  return true;
}

// Rows an order writes in the journal: its row, six events and one update of its state.
constexpr int rows_per_order = 8;

struct ceilings {
  double caf_rate = 0;    // One-way messages/s.
  double raw_rate = 0;    // Rows/s: SQLite batched inserts, or PostgreSQL COPY.
  double store_rate = 0;  // Orders/s of the journal's store alone.
  bool postgres = false;

  const char* raw_name() const {
    return postgres ? "raw PostgreSQL COPY" : "raw SQLite batched insert";
  }

  // The store's rate against the raw row rate spread over the rows an order writes.
  double store_share_of_raw() const {
    return raw_rate > 0 ? 100 * store_rate * rows_per_order / raw_rate : 0;
  }
};

double micros_per_order(double cpu_seconds, uint64_t orders) {
  return orders > 0 ? 1e6 * cpu_seconds / static_cast<double>(orders) : 0;
}

void print_json(const bench_options& opts, const node_config& cfg,
                const std::vector<flow_run>& runs, const ceilings& c) {
  std::printf(
    "{\"journal\": {\"engine\": \"%s\", \"synchronous\": \"%s\", \"wal_limit_mib\": %d, "
    "\"max_batch\": %d}, ",
    c.postgres ? "postgresql" : "sqlite", to_string(cfg.journal.synchronous),
    cfg.journal.wal_limit_mib, cfg.journal.max_batch);
  std::printf(
    "\"baseline\": {\"caf_one_way_msgs_per_second\": %.0f, "
    "\"%s_rows_per_second\": %.0f, "
    "\"journal_store_orders_per_second\": %.0f, \"store_share_of_raw_percent\": %.1f}, "
    "\"runs\": [",
    c.caf_rate, c.postgres ? "postgres_copy" : "sqlite_batched", c.raw_rate, c.store_rate,
    c.store_share_of_raw());
  for (size_t i = 0; i < runs.size(); ++i) {
    auto& r = runs[i];
    std::printf(
      "%s{\"run\": \"%s\", \"offered_per_second\": %.0f, \"orders\": %llu, "
      "\"seconds\": %.3f, \"orders_per_second\": %.0f, "
      "\"latency_ms\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}, "
      "\"held_back\": %llu, \"completed\": %llu, \"quantity\": %lld, "
      "\"node_cpu_us_per_order\": %.1f, \"server_cpu_us_per_order\": %.1f}",
      i == 0 ? "" : ", ", r.name, r.offered, static_cast<unsigned long long>(r.orders),
      r.driven.seconds, r.rate(), ms(r.driven.latency.quantile(0.5)),
      ms(r.driven.latency.quantile(0.99)), ms(r.driven.latency.max()),
      static_cast<unsigned long long>(r.driven.held_back),
      static_cast<unsigned long long>(r.final_totals.all.completed),
      static_cast<long long>(r.final_totals.all.quantity), micros_per_order(r.node_cpu, r.orders),
      micros_per_order(r.server_cpu, r.orders));
  }
  std::printf("], \"peak_rss_mib\": %.1f, \"paced_seconds\": %.1f}\n", peak_rss_bytes() / 1048576.0,
              opts.paced_seconds);
}

void print_text(const node_config& cfg, const std::vector<flow_run>& runs, const ceilings& c) {
  std::printf("journal           %s\n", describe(cfg.journal).c_str());
  std::printf("baseline          raw CAF one-way %.0f msg/s; %s %.0f rows/s\n", c.caf_rate,
              c.raw_name(), c.raw_rate);
  std::printf(
    "ceiling           the journal's store alone, no actors: %.0f orders/s (%.0f%% of the raw "
    "rate over the %d rows an order writes)\n",
    c.store_rate, c.store_share_of_raw(), rows_per_order);
  for (auto& r : runs) {
    std::printf("%-17s %llu orders in %.2f s: %.0f orders/s (%.0f%% of the store alone)\n", r.name,
                static_cast<unsigned long long>(r.orders), r.driven.seconds, r.rate(),
                c.store_rate > 0 ? 100 * r.rate() / c.store_rate : 0.0);
    if (r.offered > 0)
      std::printf("  offered         %.0f orders/s; most orders held back by a full window: %llu\n",
                  r.offered, static_cast<unsigned long long>(r.driven.held_back));
    std::printf(
      "  latency         accepted->completed p50 %.2f ms  p99 %.2f ms  max %.2f ms "
      "(%llu samples)\n",
      ms(r.driven.latency.quantile(0.5)), ms(r.driven.latency.quantile(0.99)),
      ms(r.driven.latency.max()), static_cast<unsigned long long>(r.driven.latency.count()));
    std::printf("  cpu per order   node %.1f us", micros_per_order(r.node_cpu, r.orders));
    if (c.postgres)
      std::printf(", PostgreSQL server %.1f us", micros_per_order(r.server_cpu, r.orders));
    std::printf("\n  completed       %llu orders, quantity %lld\n",
                static_cast<unsigned long long>(r.final_totals.all.completed),
                static_cast<long long>(r.final_totals.all.quantity));
  }
  std::printf("peak RSS          %.1f MiB\n", peak_rss_bytes() / 1048576.0);
}

}  // namespace

int main(int argc, char** argv) {
  bench_options opts;
  std::vector<char*> rest;
  if (!parse(argc, argv, opts, rest))
    return 2;
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
  ceilings c;
  c.postgres = location_of(cfg.journal).engine == journal_engine::postgresql;
  auto batch = static_cast<size_t>(cfg.journal.max_batch);
  std::fprintf(stderr, "journal: %s\n", describe(cfg.journal).c_str());
  std::fprintf(stderr, "baseline: raw CAF one-way messages ...\n");
  c.caf_rate = caf_one_way_rate(sys, 2'000'000);
  {
    std::fprintf(stderr, "baseline: %s ...\n", c.raw_name());
    scratch_journal raw{cfg.journal, opts.dir, "raw"};
    c.raw_rate = c.postgres
                   ? pg_copy_rate(raw.options().url, 500'000, batch)
                   : sqlite_batched_insert_rate(sqlite_options_of(raw.options()), 500'000, batch);
  }
  // As many orders per commit as the journal's batch holds at six rows an order.
  auto per_commit = static_cast<size_t>(std::max(1, cfg.journal.max_batch / 6));
  std::fprintf(stderr, "baseline: the journal's store alone, %llu orders ...\n",
               static_cast<unsigned long long>(opts.orders));
  quiet_disk();
  {
    scratch_journal alone{cfg.journal, opts.dir, "store"};
    auto store = open_journal_store(alone.options());
    if (!store) {
      std::fprintf(stderr, "ordernode-bench: %s\n", describe(store.error()).c_str());
      return 1;
    }
    c.store_rate = journal_store_rate(**store, opts.orders, per_commit);
  }
  std::vector<flow_run> runs;
  auto paced = [&](const char* name, double rate) {
    auto n = opts.orders_given && opts.rate > 0
               ? opts.orders
               : std::max<uint64_t>(1, static_cast<uint64_t>(rate * opts.paced_seconds));
    std::fprintf(stderr, "flow: %llu orders offered at %.0f orders/s ...\n",
                 static_cast<unsigned long long>(n), rate);
    runs.push_back(run_flow(sys, cfg, opts.dir, "paced", n, rate));
    runs.back().name = name;
  };
  if (opts.rate > 0) {
    paced("paced", opts.rate);
  } else {
    std::fprintf(stderr, "flow: %llu orders as fast as they go ...\n",
                 static_cast<unsigned long long>(opts.orders));
    runs.push_back(run_flow(sys, cfg, opts.dir, "flow", opts.orders, 0));
    runs.back().name = "saturated";
    auto max = runs.back().rate();
    paced("paced at 50%", max * 0.5);
    paced("paced at 90%", max * 0.9);
  }
  if (opts.json)
    print_json(opts, cfg, runs, c);
  else
    print_text(cfg, runs, c);
  std::filesystem::remove_all(opts.dir);
  return 0;
}
