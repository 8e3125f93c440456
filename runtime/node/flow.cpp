#include "runtime/node/flow.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/aggregator.hpp"
#include "actors/dispatcher.hpp"
#include "actors/error_channel.hpp"
#include "actors/failures_writer.hpp"
#include "actors/intake.hpp"
#include "actors/journal.hpp"
#include "actors/processor.hpp"
#include "actors/shipper.hpp"
#include "actors/source.hpp"
#include "actors/validator.hpp"
#include "actors/watchdog.hpp"
#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

// Collects the supervised stages: spawns each once now and keeps the recipe for a restart.
class supervision {
public:
  explicit supervision(caf::actor_system& sys) : sys_(sys) {}

  template <class Ref, class Make>
  void add(std::string name, std::string kind, Ref ref, Make make,
           std::vector<order_state> custody = {}, std::string region = {}) {
    auto spawn = [ref, make](caf::actor_system& sys) mutable {
      auto hdl = make(sys);
      ref.set(hdl);
      return caf::actor_cast<caf::actor>(hdl);
    };
    auto first = spawn(sys_);
    children_.push_back(child_spec{std::move(name), std::move(kind), std::move(spawn),
                                   std::move(custody), std::move(region), std::move(first)});
  }

  void add_permanent(std::string name, std::string kind, caf::actor hdl) {
    children_.push_back(child_spec{std::move(name), std::move(kind), {}, {}, {}, std::move(hdl)});
  }

  std::vector<child_spec> children() && {
    return std::move(children_);
  }

private:
  caf::actor_system& sys_;
  std::vector<child_spec> children_;
};

// Subscribes `listener` before any order can finish.
void subscribe_to_finished(caf::actor_system& sys, const journal_actor& journal,
                           const finished_listener& listener) {
  caf::scoped_actor self{sys};
  self->request(journal, caf::infinite, subscribe_atom::value, listener)
    .receive([](const totals&) {},
             [](const caf::error& err) {
               spdlog::error("cannot subscribe to the journal's finished orders: {}",
                             describe(err));
             });
}

using os = order_state;

}  // namespace

//  source ─┐
//  HTTP ────┼─> intake ─> journal(received) ─> validator ─┬─> dispatcher[region] ─> processor×N
//  broker ──┘  (http_port_of)                             │                           │
//  consumer   error_channel <─ invalid ───────────────────┘   failure ─> error_channel <┤
//                  └─> notifier                                                       v
//  aggregator, intake, failures writer <─ journal(committed final states) <─ shipper <─ processed
//
//  with broker.publish: intake ─> journal outbox ─> broker_publisher ─> RabbitMQ ─> consumer
//  with broker.results: journal outbox ─> results ─> consumer ─> broker_monitor
//  admin shell ─> admin endpoint ─> registry, source, aggregator, journal (node_main.cpp)
//
// Every stage records its state changes in the journal; the error channel ends failed and
// rejected orders there; the aggregator, the intake and the failures writer learn of finished
// orders only once the journal committed them. The supervisor restarts any stage but the
// journal and re-sends the orders in the dead stage's custody; each dispatcher restarts its own
// processors.
flow build_flow(caf::actor_system& sys, const node_config& cfg, externals ext,
                std::shared_ptr<actor_registry> registry, escalation give_up) {
  flow f;
  f.registry = registry;
  std::vector<std::string> regions;
  for (auto& route : cfg.routes())
    regions.push_back(route.name);
  f.metrics = ext.metrics ? ext.metrics : std::make_shared<node_metrics>(regions, registry);
  auto metrics = f.metrics;
  auto& broker = cfg.broker;
  outbox_options outbox{broker.exchange,
                        broker.enabled && broker.results ? broker.results_exchange : "",
                        broker.node_id};
  auto journal_hdl =
    sys.spawn<caf::detached>(journal, ext.store, cfg.journal.max_batch, metrics, outbox);
  f.journal = journal_hdl;
  f.outbox = journal_hdl;
  if (ext.failures) {
    f.failures = sys.spawn<caf::detached>(failures_writer, ext.failures);
    subscribe_to_finished(sys, f.journal, f.failures);
  }
  auto channels = make_channels(cfg.notifier);
  if (!channels)
    spdlog::error("notifications are off: {}", describe(channels.error()));
  auto notify_via =
    channels ? std::move(*channels) : std::vector<std::shared_ptr<notification_channel>>{};
  supervision sup{sys};
  sup.add_permanent("journal", "journal", caf::actor_cast<caf::actor>(f.journal));
  sup.add("notifier", "notifier", f.notifier, [opts = cfg.notifier, notify_via](auto& sys) {
    return sys.spawn(notifier, opts, notify_via);
  });
  sup.add("error_channel", "error_channel", f.errors,
          [=, notifier = f.notifier](auto& sys) {
            return sys.spawn(error_channel, journal_hdl, notifier);
          },
          {os::received, os::validated, os::processing, os::processed, os::shipping});
  sup.add("aggregator", "aggregator", f.aggregator,
          [=, interval = cfg.node.report_interval](auto& sys) {
            return sys.spawn(aggregator, journal_hdl, interval);
          });
  sup.add("shipper", "shipper", f.shipper,
          [=, opts = cfg.shipper, errors = f.errors](auto& sys) {
            return sys.spawn(shipper, opts, ext.shipping, journal_hdl, errors, metrics);
          },
          {os::processed, os::shipping});
  for (auto& route : cfg.routes()) {
    auto make_processor = [=, shipper = f.shipper, errors = f.errors, name = route.name](
                            caf::actor_system& sys, dispatcher_actor owner, size_t index) {
      auto actor_name = "processor-" + name + "-" + std::to_string(index);
      auto hdl = sys.spawn(processor, owner, ext.processing, journal_hdl, shipper, errors, metrics,
                           actor_name);
      registry->started(actor_name, "processor", caf::actor_cast<caf::actor>(hdl));
      return hdl;
    };
    auto& ref = f.dispatchers[route.name];
    sup.add(
      "dispatcher-" + route.name, "dispatcher", ref,
      [=, credits = cfg.processor.max_in_flight](auto& sys) {
        return sys.spawn(dispatcher, route.name, route.workers, credits, make_processor, metrics);
      },
      {os::validated, os::processing}, route.name);
  }
  sup.add("validator", "validator", f.validator,
          [=, rules = cfg.validation, dispatchers = f.dispatchers, errors = f.errors](auto& sys) {
            return sys.spawn(validator, rules, dispatchers, journal_hdl, errors, metrics);
          },
          {os::received});
  flow_entries entries{f.validator, f.dispatchers, f.shipper, f.errors, cfg.node.max_recoveries};
  auto forward_to = broker.enabled && broker.publish ? f.outbox : outbox_actor{};
  sup.add("intake", "intake", f.intake,
          [=, limit = static_cast<uint64_t>(cfg.node.max_in_flight)](auto& sys) {
            return sys.spawn(intake, journal_hdl, entries, limit, forward_to);
          },
          {os::received});
  // The broker: the outbox goes out through the publisher; the consumer takes the orders of
  // this node's regions into the intake and brings results back to the monitor.
  if (broker.enabled) {
    if (broker.publish)
      sup.add("broker_monitor", "broker_monitor", f.broker_monitor,
              [=, errors = f.errors](auto& sys) {
                return sys.spawn(broker_monitor, broker, errors, size_t{1} << 17);
              });
    sup.add("broker_publisher", "broker_publisher", f.publisher,
            [=, monitor = f.broker_monitor, outbox = f.outbox](auto& sys) {
              return sys.template spawn<caf::detached>(broker_publisher, broker, regions, outbox,
                                                       monitor, metrics);
            });
    if (broker.consume || broker.publish)
      sup.add("broker_consumer", "broker_consumer", f.consumer,
              [=, monitor = f.broker_monitor, intake = f.intake, errors = f.errors](auto& sys) {
                return sys.template spawn<caf::detached>(broker_consumer, broker, regions, intake,
                                                         errors, monitor, metrics);
              });
  }
  if (cfg.source.enabled)
    sup.add("source", "source", f.source, [=, opts = cfg.source, intake = f.intake](auto& sys) {
      return sys.spawn(source, opts, regions, intake);
    });
  f.supervisor = sys.spawn(supervisor, cfg.supervisor, std::move(sup).children(), registry,
                           f.intake, f.errors, std::move(give_up));
  if (cfg.watchdog.enabled)
    f.watchdog = sys.spawn(
      watchdog, cfg.watchdog, [metrics] { return sample_of(*metrics); }, f.notifier, metrics);
  return f;
}

std::vector<caf::actor> flow::stages() const {
  std::vector<caf::actor> result;
  auto add = [&](const auto& hdl) {
    if (hdl)
      result.push_back(caf::actor_cast<caf::actor>(hdl));
  };
  add(watchdog);
  add(source.get());
  add(publisher.get());
  add(consumer.get());
  add(broker_monitor.get());
  add(intake.get());
  add(validator.get());
  for (auto& [name, ref] : dispatchers)
    add(ref.get());
  add(shipper.get());
  add(aggregator.get());
  add(errors.get());
  add(notifier.get());
  add(journal);
  add(failures);
  return result;
}

void flush_notifications(caf::actor_system& sys, const flow& f, caf::timespan deadline) {
  caf::scoped_actor self{sys};
  self->request(f.notifier.get(), deadline, flush_atom::value)
    .receive([](bool) {},
             [](caf::error& err) {
               spdlog::warn("notifications not all sent before exit: {}", describe(err));
             });
}

void stop_flow(const flow& f) {
  if (f.supervisor)
    caf::anon_send_exit(f.supervisor, caf::exit_reason::user_shutdown);
  for (auto& hdl : f.stages())
    caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
}

http_port http_port_of(const flow& f, const node_config& cfg) {
  http_port result;
  result.intake = f.intake;
  result.aggregator = f.aggregator;
  result.journal = f.journal;
  result.journal_at = location_of(cfg.journal);
  result.cluster = {cfg.node.id, cfg.clustered(), cfg.cluster.lease};
  for (auto& [name, ref] : f.dispatchers)
    result.regions.insert(name);
  result.rules = cfg.validation;
  if (auto metrics = f.metrics)
    result.journal_failing = [metrics] {
      return metrics->journal_failing();
    };
  return result;
}

}  // namespace ordernode
