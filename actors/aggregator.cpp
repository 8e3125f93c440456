#include "actors/aggregator.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

void add(region_totals& x, const region_totals& y) {
  x.completed += y.completed;
  x.quantity += y.quantity;
  x.failed += y.failed;
  x.rejected += y.rejected;
}

void add(totals& x, const totals& y) {
  add(x.all, y.all);
  for (auto& [name, region] : y.by_region)
    add(x.by_region[name], region);
}

void print_totals(const totals& x) {
  std::string regions;
  for (auto& [name, r] : x.by_region)
    regions += fmt::format(" | {}: {} orders, quantity {}", name, r.completed, r.quantity);
  spdlog::info("Totals: {} orders processed, quantity {}, {} failed, {} rejected{}",
               x.all.completed, x.all.quantity, x.all.failed, x.all.rejected, regions);
}

void publish(aggregator_pointer self) {
  for (auto& x : self->state.subscribers)
    caf::anon_send(x, totals_atom::value, self->state.current);
}

}  // namespace

void add_finished(totals& x, const std::vector<finished_order>& batch) {
  for (auto& f : batch) {
    if (f.state == order_state::dead_letter)
      continue;
    auto& region = x.by_region[f.item.region];
    switch (f.state) {
      case order_state::completed:
        ++region.completed;
        region.quantity += f.item.quantity;
        ++x.all.completed;
        x.all.quantity += f.item.quantity;
        break;
      case order_state::rejected:
        ++region.rejected;
        ++x.all.rejected;
        break;
      default:
        ++region.failed;
        ++x.all.failed;
    }
  }
}

aggregator_actor::behavior_type aggregator(aggregator_pointer self, journal_actor journal,
                                           caf::timespan report_interval) {
  self->request(journal, caf::infinite, subscribe_atom::value, finished_listener{self})
    .then([=](const totals& x) { add(self->state.current, x); },
          [=](const caf::error& err) {
            spdlog::error("aggregator cannot read the journal's totals: {}", describe(err));
          });
  self->delayed_send(self, report_interval, report_atom::value);
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::user_shutdown)
      print_totals(self->state.current);
    self->quit(msg.reason);
  });
  return {
    [=](finished_atom, const std::vector<finished_order>& batch) {
      add_finished(self->state.current, batch);
      publish(self);
    },
    [=](dropped_atom, const std::vector<std::string>&) {},
    [=](totals_atom) { return self->state.current; },
    [=](subscribe_atom, caf::actor& x) {
      caf::anon_send(x, totals_atom::value, self->state.current);
      self->state.subscribers.push_back(std::move(x));
    },
    [=](report_atom) {
      print_totals(self->state.current);
      self->delayed_send(self, report_interval, report_atom::value);
    },
  };
}

}  // namespace ordernode
