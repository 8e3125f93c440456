// The ordernode binary: loads the config, builds the flow, runs until SIGINT or SIGTERM.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/config.hpp"
#include "runtime/errors.hpp"
#include "runtime/external/processing_system.hpp"
#include "runtime/external/shipping_system.hpp"
#include "runtime/flow.hpp"
#include "runtime/logging.hpp"
#include "runtime/metrics/metrics_endpoint.hpp"
#include "runtime/store/sqlite_store.hpp"
#include "runtime/version.hpp"

using namespace ordernode;

namespace {

// Waits for SIGINT or SIGTERM, or until `stop` turns true.
int wait_for_signal(const sigset_t& signals, const std::atomic<bool>& stop) {
  timespec tick{0, 100'000'000};
  while (!stop) {
    auto sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0)
      return sig;
  }
  return 0;
}

uint64_t in_flight(caf::scoped_actor& self, const flow& f) {
  uint64_t result = 0;
  self->request(f.intake, std::chrono::seconds(1), in_flight_atom::value)
    .receive([&](uint64_t n) { result = n; }, [&](caf::error&) { result = 0; });
  return result;
}

void drain(caf::actor_system& sys, const flow& f, caf::timespan deadline) {
  caf::scoped_actor self{sys};
  if (f.source)
    self->send(f.source, pause_atom::value);
  auto until = std::chrono::steady_clock::now() + deadline;
  auto left = in_flight(self, f);
  while (left > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = in_flight(self, f);
  }
  if (left > 0)
    spdlog::warn("shutdown deadline passed with {} orders in flight; they resume on restart", left);
  self->request(f.journal, std::chrono::seconds(5), flush_atom::value)
    .receive(
      [](bool) {},
      [](caf::error& err) { spdlog::error("final journal flush failed: {}", describe(err)); });
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  node_config cfg;
  if (auto err = cfg.load(argc, argv)) {
    std::cerr << "ordernode: " << describe(err) << "\n";
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (cfg.version_requested) {
    std::cout << "ordernode " << version << " (CAF 0.17.6)\n";
    return 0;
  }
  if (auto err = setup_logging(cfg.node.log_level, cfg.node.log_file)) {
    std::cerr << "ordernode: " << describe(err) << "\n";
    return 2;
  }
  auto store = open_sqlite_store({cfg.journal.path, cfg.journal.synchronous == "full"});
  if (!store) {
    std::cerr << "ordernode: cannot open the journal: " << describe(store.error()) << "\n";
    return 1;
  }
  if (cfg.replay_dead_letters) {
    auto moved = (*store)->replay_dead_letters();
    if (!moved) {
      std::cerr << "ordernode: cannot replay dead letters: " << describe(moved.error()) << "\n";
      return 1;
    }
    spdlog::info("replaying {} dead-lettered orders", *moved);
  }
  int exit_code = 0;
  {
    caf::actor_system sys{cfg};
    std::vector<std::string> region_names;
    for (auto& route : cfg.routes())
      region_names.push_back(route.name);
    auto metrics = std::make_shared<node_metrics>(region_names, std::make_shared<actor_registry>());
    auto f =
      build_flow(sys, cfg,
                 {std::shared_ptr<order_store>{std::move(*store)},
                  make_mock_processing(cfg.processor), make_mock_shipping(cfg.shipper), metrics});
    std::unique_ptr<metrics_endpoint> metrics_listener;
    if (!cfg.metrics.bind.empty()) {
      if (auto listener = serve_metrics(metrics, cfg.metrics.bind)) {
        metrics_listener = std::move(*listener);
        spdlog::info("metrics on http://{}:{}/metrics",
                     cfg.metrics.bind.substr(0, cfg.metrics.bind.rfind(':')),
                     metrics_listener->port());
      } else {
        spdlog::error("metrics are off: {}", describe(listener.error()));
      }
    }
    std::atomic<bool> journal_down{false};
    caf::actor_cast<caf::strong_actor_ptr>(f.journal)->get()->attach_functor(
      [&journal_down](const caf::error&) { journal_down = true; });
    {
      caf::scoped_actor self{sys};
      self->request(f.intake, caf::infinite, recover_atom::value)
        .receive([](uint64_t) {},
                 [&](caf::error& err) {
                   spdlog::critical("recovery failed: {}", describe(err));
                   journal_down = true;
                 });
    }
    std::string regions;
    for (auto& route : cfg.routes())
      regions += fmt::format(" {}({} workers)", route.name, route.workers);
    spdlog::info("ordernode {} started: journal {}, regions{}, source {}", version,
                 cfg.journal.path, regions, cfg.source.enabled ? "on" : "off");
    auto sig = wait_for_signal(signals, journal_down);
    if (journal_down) {
      spdlog::critical("the journal stopped; shutting down");
      exit_code = 1;
    } else {
      spdlog::info("{} received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
      drain(sys, f, cfg.node.shutdown_deadline);
    }
    flush_notifications(sys, f, std::chrono::seconds(5));
    stop_flow(f);
  }
  spdlog::info("ordernode stopped");
  spdlog::shutdown();
  return exit_code;
}
