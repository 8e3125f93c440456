// The ordernode binary: loads the config, builds the flow, runs until SIGINT or SIGTERM.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/actor_registry.hpp"
#include "runtime/admin/admin_actor.hpp"
#include "runtime/config.hpp"
#include "runtime/errors.hpp"
#include "runtime/external/processing_system.hpp"
#include "runtime/external/shipping_system.hpp"
#include "runtime/flow.hpp"
#include "runtime/http/server.hpp"
#include "runtime/logging.hpp"
#include "runtime/metrics/metrics_endpoint.hpp"
#include "runtime/report/report.hpp"
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
  self->request(f.intake.get(), std::chrono::seconds(1), in_flight_atom::value)
    .receive([&](uint64_t n) { result = n; }, [&](caf::error&) { result = 0; });
  return result;
}

void drain(caf::actor_system& sys, const flow& f, caf::timespan deadline) {
  caf::scoped_actor self{sys};
  if (f.source)
    self->send(f.source.get(), pause_atom::value);
  auto until = std::chrono::steady_clock::now() + deadline;
  auto left = in_flight(self, f);
  while (left > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = in_flight(self, f);
  }
  if (left > 0)
    spdlog::warn("{} orders still in flight at shutdown; they resume on restart", left);
  self->request(f.journal, std::chrono::seconds(5), flush_atom::value)
    .receive(
      [](bool) {},
      [](caf::error& err) { spdlog::error("final journal flush failed: {}", describe(err)); });
}

// Publishes the admin actor on admin.bind:admin.port; the node runs on without it on failure.
admin_actor start_admin(caf::actor_system& sys, const node_config& cfg, const flow& f,
                        std::shared_ptr<actor_registry> registry) {
  if (cfg.admin.port == 0)
    return {};
  auto hdl =
    spawn_admin(sys, {cfg.admin.token, registry, f.source, f.aggregator, cfg.journal.path});
  auto port = sys.middleman().publish(hdl, static_cast<uint16_t>(cfg.admin.port),
                                      cfg.admin.bind.c_str(), true);
  if (!port) {
    spdlog::error("admin endpoint off: cannot listen on {}:{}: {}", cfg.admin.bind, cfg.admin.port,
                  describe(port.error()));
    caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    return {};
  }
  spdlog::info("admin endpoint on {}:{} (ordernode-shell --port {})", cfg.admin.bind, *port, *port);
  registry->started("admin", "admin", caf::actor_cast<caf::actor>(hdl));
  return hdl;
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
  sqlite_options store_options;
  store_options.path = cfg.journal.path;
  store_options.fsync_every_commit = cfg.journal.synchronous == "full";
  store_options.wal_limit_bytes = int64_t{cfg.journal.wal_limit_mib} << 20;
  auto store = open_sqlite_store(store_options);
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
  if (cfg.admin.port != 0)
    static_cast<caf::actor_system_config&>(cfg).load<caf::io::middleman>();
  {
    caf::actor_system sys{cfg};
    // Holds handles of every actor: it must go before the actor system.
    auto registry = std::make_shared<actor_registry>();
    std::vector<std::string> region_names;
    for (auto& route : cfg.routes())
      region_names.push_back(route.name);
    auto metrics = std::make_shared<node_metrics>(region_names, registry);
    std::atomic<bool> gave_up{false};
    auto f =
      build_flow(sys, cfg,
                 {std::shared_ptr<order_store>{std::move(*store)},
                  make_mock_processing(cfg.processor), make_mock_shipping(cfg.shipper), metrics},
                 registry, [&gave_up](const std::string&) { gave_up = true; });
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
    {
      caf::scoped_actor self{sys};
      self->request(f.intake.get(), caf::infinite, recover_atom::value)
        .receive([](uint64_t) {},
                 [&](caf::error& err) {
                   spdlog::critical("recovery failed: {}", describe(err));
                   gave_up = true;
                 });
    }
    auto admin = start_admin(sys, cfg, f, registry);
    std::unique_ptr<http_server> http;
    if (cfg.http.enabled) {
      http_hooks hooks;
      hooks.report = make_report_hook(cfg.journal.path);
      hooks.metrics = [metrics] {
        return render_metrics(*metrics);
      };
      if (auto started = http_server::start(sys, f, cfg, std::move(hooks))) {
        http = std::move(*started);
        http->set_ready(!gave_up);
      } else {
        spdlog::error("the node runs without its HTTP API: {}", describe(started.error()));
      }
    }
    std::string regions;
    for (auto& route : cfg.routes())
      regions += fmt::format(" {}({} workers)", route.name, route.workers);
    spdlog::info("ordernode {} started: journal {}, regions{}, source {}", version,
                 cfg.journal.path, regions, cfg.source.enabled ? "on" : "off");
    auto sig = wait_for_signal(signals, gave_up);
    if (http)
      http->stop(gave_up ? caf::timespan{0} : cfg.node.shutdown_deadline);
    if (gave_up) {
      spdlog::critical("a fault the supervisor cannot repair; shutting down");
      exit_code = 1;
      if (f.registry->find("journal"))
        drain(sys, f, caf::timespan{0});
    } else {
      spdlog::info("{} received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
      drain(sys, f, cfg.node.shutdown_deadline);
    }
    flush_notifications(sys, f, std::chrono::seconds(5));
    if (admin)
      caf::anon_send_exit(admin, caf::exit_reason::user_shutdown);
    stop_flow(f);
  }
  spdlog::info("ordernode stopped");
  spdlog::shutdown();
  return exit_code;
}
