#include "runtime/flow.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/aggregator.hpp"
#include "actors/dispatcher.hpp"
#include "actors/error_channel.hpp"
#include "actors/intake.hpp"
#include "actors/journal.hpp"
#include "actors/notifier.hpp"
#include "actors/processor.hpp"
#include "actors/shipper.hpp"
#include "actors/source.hpp"
#include "actors/validator.hpp"
#include "actors/watchdog.hpp"
#include "runtime/errors.hpp"

namespace ordernode {

//  source ─> intake ─> journal(received) ─> validator ─┬─> dispatcher[region] ─> processor×N
//                                                      │                           │
//             error_channel <─ invalid ────────────────┘   failure ─> error_channel <┤
//                                                                                  v
//  aggregator <─ journal(committed final states) <─ completed ─ shipper <──── processed
//
// Every stage records its state changes in the journal; the error channel ends failed and
// rejected orders there; the aggregator and the intake learn of finished orders only once
// the journal committed them.
flow build_flow(caf::actor_system& sys, const node_config& cfg, externals ext) {
  flow f;
  std::vector<std::string> regions;
  for (auto& route : cfg.routes())
    regions.push_back(route.name);
  f.metrics = ext.metrics ? ext.metrics : std::make_shared<node_metrics>(regions, nullptr);
  auto metrics = f.metrics;
  f.journal = sys.spawn<caf::detached>(journal, ext.store, cfg.journal.max_batch, metrics);
  auto channels = make_channels(cfg.notifier);
  if (!channels)
    spdlog::error("notifications are off: {}", describe(channels.error()));
  f.notifier = sys.spawn(
    notifier, cfg.notifier,
    channels ? std::move(*channels) : std::vector<std::shared_ptr<notification_channel>>{});
  f.errors = sys.spawn(error_channel, f.journal, f.notifier);
  f.aggregator = sys.spawn(aggregator, f.journal, cfg.node.report_interval);
  f.shipper = sys.spawn(shipper, cfg.shipper, ext.shipping, f.journal, f.errors, metrics);
  auto make_processor = [=, journal = f.journal, shipper = f.shipper, errors = f.errors](
                          caf::actor_system& sys, dispatcher_actor owner) {
    return sys.spawn(processor, owner, ext.processing, journal, shipper, errors, metrics);
  };
  for (auto& route : cfg.routes())
    f.dispatchers[route.name] = sys.spawn(dispatcher, route.name, route.workers,
                                          cfg.processor.max_in_flight, make_processor, metrics);
  f.validator = sys.spawn(validator, cfg.validation, f.dispatchers, f.journal, f.errors, metrics);
  f.intake = sys.spawn(
    intake, f.journal,
    flow_entries{f.validator, f.dispatchers, f.shipper, f.errors, cfg.node.max_recoveries},
    static_cast<uint64_t>(cfg.node.max_in_flight));
  if (cfg.source.enabled)
    f.source = sys.spawn(source, cfg.source, regions, f.intake);
  if (cfg.watchdog.enabled)
    f.watchdog = sys.spawn(
      watchdog, cfg.watchdog, [metrics] { return sample_of(*metrics); }, f.notifier, metrics);
  // The stages that count their messages, in the actor registry for the metrics.
  if (auto actors = metrics->actors()) {
    auto enter = [&actors](const std::string& name, const std::string& kind, caf::actor hdl) {
      actors->started(name, kind, hdl);
      hdl->attach_functor([actors, name](const caf::error& reason) {
        actors->stopped(name, caf::to_string(reason));
      });
    };
    enter("journal", "journal", caf::actor_cast<caf::actor>(f.journal));
    enter("validator", "validator", caf::actor_cast<caf::actor>(f.validator));
    for (auto& [name, hdl] : f.dispatchers)
      enter("dispatcher-" + name, "dispatcher", caf::actor_cast<caf::actor>(hdl));
    enter("shipper", "shipper", caf::actor_cast<caf::actor>(f.shipper));
  }
  return f;
}

std::vector<caf::actor> flow::stages() const {
  std::vector<caf::actor> result;
  auto add = [&](const auto& hdl) {
    if (hdl)
      result.push_back(caf::actor_cast<caf::actor>(hdl));
  };
  add(watchdog);
  add(source);
  add(intake);
  add(validator);
  for (auto& [name, hdl] : dispatchers)
    add(hdl);
  add(shipper);
  add(aggregator);
  add(errors);
  add(notifier);
  add(journal);
  return result;
}

void flush_notifications(caf::actor_system& sys, const flow& f, caf::timespan deadline) {
  caf::scoped_actor self{sys};
  self->request(f.notifier, deadline, flush_atom::value)
    .receive([](bool) {},
             [](caf::error& err) {
               spdlog::warn("notifications not all sent before exit: {}", describe(err));
             });
}

void stop_flow(const flow& f) {
  for (auto& hdl : f.stages())
    caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
}

}  // namespace ordernode
