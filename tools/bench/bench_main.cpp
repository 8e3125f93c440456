// ordernode-bench: pushes N orders through the in-process flow with the journal on, and
// measures the baselines (raw CAF messaging, raw SQLite inserts) in the same run.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <string>
#include <unordered_map>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/config.hpp"
#include "runtime/errors.hpp"
#include "runtime/flow.hpp"
#include "runtime/random.hpp"
#include "runtime/store/sqlite_store.hpp"
#include "tools/bench/baselines.hpp"
#include "tools/bench/latency_histogram.hpp"

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

using progress_atom = caf::atom_constant<caf::atom("progress")>;

// Keeps `window` orders in flight through the intake and timestamps each from its acceptance
// to the journal's commit of its final state.
struct driver_state {
  uint64_t total = 0;
  uint64_t window = 0;
  uint64_t submitted = 0;
  uint64_t finished = 0;
  std::unordered_map<std::string, order> pending;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> accepted;
  uint64_t refused = 0;
  latency_histogram latency;
  std::promise<latency_histogram> done;
  std::chrono::steady_clock::time_point started;
  order prototype;
};

using retry_atom = caf::atom_constant<caf::atom("retry")>;

void submit(caf::stateful_actor<driver_state>* self, const intake_actor& intake, order x) {
  self->send(intake, submit_atom::value, std::move(x), caf::actor_cast<admission_listener>(self));
}

void submit_more(caf::stateful_actor<driver_state>* self, const intake_actor& intake) {
  auto& st = self->state;
  while (st.submitted < st.total && st.submitted - st.finished < st.window) {
    auto x = st.prototype;
    x.id = make_uuid();
    x.vip = st.submitted % 10 == 0;
    x.region = st.submitted % 3 == 0 ? "eu" : (st.submitted % 3 == 1 ? "us" : "ap");
    x.quantity = static_cast<int32_t>(st.submitted % 10) + 1;
    x.created_at = now();
    ++st.submitted;
    st.pending.emplace(x.id, x);
    submit(self, intake, std::move(x));
  }
}

caf::behavior driver(caf::stateful_actor<driver_state>* self, intake_actor intake,
                     journal_actor journal, uint64_t total, uint64_t window,
                     std::promise<latency_histogram> done) {
  auto& st = self->state;
  st.total = total;
  st.window = window;
  st.done = std::move(done);
  st.prototype = order{"", "keyboard", 1, "eu", "bench", false, 0};
  st.started = std::chrono::steady_clock::now();
  self
    ->request(journal, caf::infinite, subscribe_atom::value,
              caf::actor_cast<finished_listener>(self))
    .then([=](const totals&) { submit_more(self, intake); });
  self->delayed_send(self, std::chrono::seconds(1), progress_atom::value);
  return {
    [=](finished_atom, const std::vector<finished_order>& batch) {
      auto& st = self->state;
      auto t = std::chrono::steady_clock::now();
      for (auto& x : batch) {
        if (auto i = st.accepted.find(x.item.id); i != st.accepted.end()) {
          st.latency.add((t - i->second).count());
          st.accepted.erase(i);
        }
      }
      st.finished += batch.size();
      if (st.finished >= st.total) {
        st.done.set_value(st.latency);
        self->quit();
        return;
      }
      submit_more(self, intake);
    },
    [=](admitted_atom, std::vector<admission_note>& notes) {
      auto& st = self->state;
      auto t = std::chrono::steady_clock::now();
      for (auto& note : notes) {
        auto i = st.pending.find(note.order_id);
        if (i == st.pending.end())
          continue;
        if (note.refusal.empty()) {
          st.accepted.emplace(note.order_id, t);
          st.pending.erase(i);
        } else {
          // The intake learns of finished orders a moment after this driver does.
          ++st.refused;
          self->delayed_send(self, std::chrono::milliseconds(1), retry_atom::value, i->second);
        }
      }
    },
    [=](retry_atom, order& x) { submit(self, intake, std::move(x)); },
    [=](progress_atom) {
      auto& st = self->state;
      auto secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - st.started).count();
      std::fprintf(stderr, "  %llu / %llu orders finished (%.0f orders/s), RSS peak %.1f MiB\n",
                   static_cast<unsigned long long>(st.finished),
                   static_cast<unsigned long long>(st.total), st.finished / secs,
                   peak_rss_bytes() / 1048576.0);
      self->delayed_send(self, std::chrono::seconds(1), progress_atom::value);
    },
  };
}

flow_result run_flow(caf::actor_system& sys, const node_config& cfg, uint64_t orders) {
  auto store = open_sqlite_store({cfg.journal.path, false});
  if (!store)
    throw std::runtime_error(describe(store.error()));
  auto f =
    build_flow(sys, cfg,
               {std::shared_ptr<order_store>{std::move(*store)},
                make_mock_processing(cfg.processor), make_mock_shipping(cfg.shipper), nullptr});
  std::promise<latency_histogram> done;
  auto finished = done.get_future();
  auto started = std::chrono::steady_clock::now();
  auto d = sys.spawn(driver, f.intake.get(), f.journal, orders,
                     static_cast<uint64_t>(cfg.node.max_in_flight) / 2, std::move(done));
  flow_result result;
  caf::scoped_actor self{sys};
  self->monitor(d);
  result.latency = finished.get();
  result.seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.orders = orders;
  self->receive([](caf::down_msg&) {});
  self->request(f.aggregator.get(), caf::infinite, totals_atom::value)
    .receive([&](totals& x) { result.final_totals = std::move(x); }, [](caf::error&) {});
  stop_flow(f);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  bench_options opts;
  std::vector<char*> rest{argv[0]};
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
  std::vector<std::string> defaults{"--source.enabled=false",
                                    "--processor.latency=0ns",
                                    "--processor.failure-rate=0",
                                    "--shipper.latency=0ns",
                                    "--shipper.failure-rate=0",
                                    "--log.level=warn",
                                    "--aggregator.report-interval=1h",
                                    "--node.max-in-flight=4000",
                                    "--journal.path=" + opts.dir + "/bench.db"};
  std::vector<char*> args{rest[0]};
  for (auto& x : defaults)
    args.push_back(x.data());
  args.insert(args.end(), rest.begin() + 1, rest.end());
  if (auto err = cfg.load(static_cast<int>(args.size()), args.data())) {
    std::cerr << "ordernode-bench: " << describe(err) << "\n";
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  spdlog::set_level(spdlog::level::from_str(cfg.node.log_level));
  caf::actor_system sys{cfg};
  std::fprintf(stderr, "baseline: raw CAF one-way messages ...\n");
  auto caf_rate = caf_one_way_rate(sys, 2'000'000);
  std::fprintf(stderr, "baseline: raw SQLite batched inserts ...\n");
  auto sqlite_rate = sqlite_batched_insert_rate(opts.dir + "/baseline.db", 500'000, 10'000);
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
      "\"sqlite_batched_rows_per_second\": %.0f}}\n",
      static_cast<unsigned long long>(r.orders), r.seconds, rate, ms(r.latency.quantile(0.5)),
      ms(r.latency.quantile(0.99)), ms(r.latency.max()), rss,
      static_cast<unsigned long long>(r.final_totals.all.completed),
      static_cast<long long>(r.final_totals.all.quantity), caf_rate, sqlite_rate);
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
  }
  std::filesystem::remove_all(opts.dir);
  return 0;
}
