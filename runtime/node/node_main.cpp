// The ordernode binary: loads the config, builds the flow, runs until SIGINT or SIGTERM.
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/actor_registry.hpp"
#include "runtime/admin/admin_endpoint.hpp"
#include "runtime/admin/admin_token.hpp"
#include "runtime/node/config.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/external/processing_system.hpp"
#include "runtime/external/shipping_system.hpp"
#include "runtime/node/flow.hpp"
#include "runtime/http/server.hpp"
#include "runtime/node/logging.hpp"
#include "runtime/metrics/metrics_endpoint.hpp"
#include "runtime/report/report.hpp"
#include "runtime/store/report_query.hpp"
#include "runtime/core/version.hpp"
#include "runtime/store/membership.hpp"

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

// The admin endpoint on admin.bind:admin.port, with admin.token or the generated token of
// admin.token-file; none when admin.port is 0, an error naming the key when it cannot start.
caf::expected<std::unique_ptr<admin_endpoint>> start_admin(caf::actor_system& sys,
                                                           const node_config& cfg, const flow& f,
                                                           std::shared_ptr<actor_registry> registry,
                                                           escalation give_up) {
  if (cfg.admin.port == 0)
    return std::unique_ptr<admin_endpoint>{};
  admin_endpoint_config x;
  std::string token_file;
  if (cfg.admin.token.empty()) {
    token_file = cfg.admin.token_file.empty() ? default_admin_token_file(cfg.journal.path)
                                              : cfg.admin.token_file;
    auto token = load_or_create_admin_token(token_file);
    if (!token)
      return make_error(errc::bad_config, "admin.token-file: " + describe(token.error()));
    x.token = std::move(*token);
  } else {
    x.token = cfg.admin.token;
  }
  x.bind = cfg.admin.bind;
  x.port = static_cast<uint16_t>(cfg.admin.port);
  x.max_message = static_cast<size_t>(cfg.admin.max_message);
  x.context = {registry,
               f.source,
               f.aggregator,
               location_of(cfg.journal),
               {cfg.node.id, cfg.clustered(), cfg.cluster.lease}};
  x.supervision = cfg.supervisor;
  x.intake = f.intake;
  x.errors = f.errors;
  x.give_up = std::move(give_up);
  auto endpoint = admin_endpoint::start(sys, std::move(x));
  if (!endpoint)
    return make_error(errc::bad_config, "admin.bind/admin.port: cannot listen on " + cfg.admin.bind
                                          + ":" + std::to_string(cfg.admin.port) + ": "
                                          + describe(endpoint.error()));
  auto port = (*endpoint)->port();
  spdlog::info("admin endpoint on {}:{} (ordernode-shell --port {}{})", cfg.admin.bind, port, port,
               token_file.empty() ? "" : " --token-file " + token_file);
  return std::move(*endpoint);
}

// `bind` (host:port) with the port a listener took.
std::string with_port(const std::string& bind, int port) {
  return bind.substr(0, bind.rfind(':')) + ":" + std::to_string(port);
}

node_info node_info_of(const node_config& cfg) {
  node_info result;
  result.id = cfg.node.id;
  for (auto& route : cfg.routes())
    result.regions.push_back(route.name);
  result.version = version;
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  result.host = host.data();
  result.pid = static_cast<int32_t>(getpid());
  return result;
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
  if (auto err = setup_logging(to_string(cfg.node.level), cfg.node.log_file)) {
    std::cerr << "ordernode: " << describe(err) << "\n";
    return 2;
  }
  raise_open_files_limit();
  // A journal that cannot be opened is a setup error, like a bad config: exit code 2.
  auto store = open_journal_store(cfg.journal, cfg.node.id, cfg.clustered());
  if (!store) {
    std::cerr << "ordernode: cannot open the journal: " << describe(store.error()) << "\n";
    return 2;
  }
  // A member joins before its journal takes its own unfinished orders: while another live
  // process has this node's id, it takes nothing.
  auto self_info = node_info_of(cfg);
  std::shared_ptr<membership> members;
  if (cfg.clustered()) {
    auto opened = open_pg_membership(
      location_of(cfg.journal).target,
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.journal.statement_timeout));
    if (opened) {
      members = std::move(*opened);
      if (auto err = members->join(self_info, cfg.cluster.lease)) {
        std::cerr << "ordernode: cannot join the cluster: " << describe(err) << "\n";
        return 2;
      }
    }
  }
  if (cfg.replay_dead_letters) {
    auto moved = (*store)->replay_dead_letters();
    if (!moved) {
      std::cerr << "ordernode: cannot replay dead letters: " << describe(moved.error()) << "\n";
      return 1;
    }
    spdlog::info("replaying {} dead-lettered orders", *moved);
  }
  std::shared_ptr<failures_file> failures;
  if (!cfg.journal.failures_file.empty()) {
    auto opened = failures_file::open(cfg.journal.failures_file);
    if (!opened) {
      std::cerr << "ordernode: journal.failures-file: " << describe(opened.error()) << "\n";
      return 2;
    }
    failures = std::move(*opened);
  }
  auto shipping = open_mock_shipping(cfg.shipper);
  if (!shipping) {
    std::cerr << "ordernode: shipper.ledger: " << describe(shipping.error()) << "\n";
    return 2;
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
    auto f = build_flow(sys, cfg,
                        {std::shared_ptr<order_store>{std::move(*store)},
                         make_mock_processing(cfg.processor), *shipping, metrics, failures},
                        registry, [&gave_up](const std::string&) { gave_up = true; });
    // An endpoint that cannot listen stops the node with exit code 2, before recovery: a node
    // that runs without its API or metrics looks alive to nobody.
    auto cannot_start = [&](const caf::error& err) {
      spdlog::critical("cannot start: {}", describe(err));
      std::cerr << "ordernode: " << describe(err) << "\n";
      exit_code = 2;
    };
    std::unique_ptr<metrics_endpoint> metrics_listener;
    if (!cfg.metrics.bind.empty()) {
      if (auto listener = serve_metrics(metrics, cfg.metrics.bind)) {
        metrics_listener = std::move(*listener);
        spdlog::info("metrics on http://{}:{}/metrics",
                     cfg.metrics.bind.substr(0, cfg.metrics.bind.rfind(':')),
                     metrics_listener->port());
      } else {
        cannot_start(listener.error());
      }
    }
    std::unique_ptr<http_server> http;
    if (exit_code == 0 && cfg.http.enabled) {
      http_hooks hooks;
      hooks.report =
        make_report_hook([where = location_of(cfg.journal)](
                           auto deadline) { return load_report_data(where, deadline); },
                         cfg.http.request_timeout);
      hooks.metrics = [metrics] {
        return render_metrics(*metrics);
      };
      if (auto started = http_server::start(sys, http_port_of(f, cfg), cfg.http, std::move(hooks)))
        http = std::move(*started);
      else
        cannot_start(started.error());
    }
    std::unique_ptr<admin_endpoint> admin;
    if (exit_code == 0) {
      auto started =
        start_admin(sys, cfg, f, registry, [&gave_up](const std::string&) { gave_up = true; });
      if (started)
        admin = std::move(*started);
      else
        cannot_start(started.error());
    }
    if (exit_code == 0) {
      caf::scoped_actor self{sys};
      self->request(f.intake.get(), caf::infinite, recover_atom::value)
        .receive([](uint64_t) {},
                 [&](caf::error& err) {
                   spdlog::critical("recovery failed: {}", describe(err));
                   gave_up = true;
                 });
    }
    cluster_actor member;
    if (exit_code == 0 && members) {
      self_info.http = http ? with_port(cfg.http.bind, http->port()) : "";
      self_info.admin = admin ? with_port(cfg.admin.bind + ":0", admin->port()) : "";
      self_info.metrics =
        metrics_listener ? with_port(cfg.metrics.bind, metrics_listener->port()) : "";
      if (auto err = members->advertise(self_info))
        spdlog::error("cannot publish this node's addresses to the cluster: {}", describe(err));
      member = sys.spawn<caf::detached>(
        cluster, cfg.cluster, members, self_info.regions, f.journal, f.intake, metrics,
        std::function<void(const std::string&)>{[&gave_up](const std::string&) {
          gave_up = true;
        }});
      spdlog::info(
        "cluster member {} (heartbeat {} ms, lease {} ms)", cfg.node.id,
        std::chrono::duration_cast<std::chrono::milliseconds>(cfg.cluster.heartbeat).count(),
        std::chrono::duration_cast<std::chrono::milliseconds>(cfg.cluster.lease).count());
    }
    if (http)
      http->set_ready(!gave_up);
    std::string regions;
    for (auto& route : cfg.routes())
      regions += fmt::format(" {}({} workers)", route.name, route.workers);
    if (exit_code == 0)
      spdlog::info("ordernode {} started: journal {}, regions{}, source {}", version,
                   to_string(location_of(cfg.journal)), regions, cfg.source.enabled ? "on" : "off");
    auto sig = exit_code == 0 ? wait_for_signal(signals, gave_up) : 0;
    if (http)
      http->stop(gave_up || exit_code != 0 ? caf::timespan{0} : cfg.node.shutdown_deadline);
    if (exit_code != 0) {
      drain(sys, f, caf::timespan{0});
    } else if (gave_up) {
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
      admin->stop();
    stop_flow(f);
    // Gone, not down: the other nodes take what is still unfinished at once, now that nothing
    // of this node's flow can still act on it. A node whose id was taken leaves nothing.
    if (member) {
      caf::scoped_actor self{sys};
      if (!gave_up)
        self->request(member, std::chrono::seconds(5), leave_atom::value)
          .receive([](bool) {}, [](caf::error&) {});
      self->send_exit(member, caf::exit_reason::user_shutdown);
    }
  }
  spdlog::info("ordernode stopped");
  spdlog::shutdown();
  return exit_code;
}
