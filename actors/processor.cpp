#include "actors/processor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/priority.hpp"

namespace ordernode {

processor_actor::behavior_type processor(processor_actor::pointer self, dispatcher_actor owner,
                                         std::shared_ptr<processing_system> system,
                                         journal_actor journal, shipper_ref shipper,
                                         error_channel_ref errors,
                                         std::shared_ptr<node_metrics> metrics, std::string name) {
  self->monitor(owner);
  self->set_down_handler([=](caf::down_msg& msg) { self->quit(msg.reason); });
  auto stage = or_unrecorded(std::move(metrics))->stage("processor", name);
  return {
    [=](process_atom, order& x) {
      stage.handled(backlog(self));
      auto started = now();
      spdlog::info("Processing started for order {}", x.id);
      send_for(self, x.vip, journal,
               order_event{x.id, order_state::processing, stage_id::processor, "", started});
      auto delay = system->latency(x);
      if (delay.count() > 0)
        self->delayed_send(self, delay, finish_atom::value, std::move(x), started);
      else
        self->send(self, finish_atom::value, std::move(x), started);
    },
    [=](finish_atom, order& x, timestamp started) {
      auto id = x.id;
      auto vip = x.vip;
      try {
        auto message = system->process(x);
        auto at = now();
        spdlog::info("{} in {:.1f} ms", message, (at - started) / 1e6);
        stage.seconds->Observe((at - started) / 1e9);
        stage.out->Increment();
        send_for(self, vip, journal,
                 order_event{id, order_state::processed, stage_id::processor, message, at});
        send_for(self, vip, shipper.get(), ship_atom::value, std::move(x));
      } catch (const std::exception& ex) {
        stage.error();
        send_for(self, vip, errors.get(),
                 error_report{id, stage_id::processor, error_type::processing, ex.what(), now()});
      }
      send_for(self, vip, owner, done_atom::value, std::move(id));
    },
  };
}

option_table option_table_of(processor_options& x) {
  option_table result{"processor"};
  result.add(x.workers, "workers", "processors per region (0: number of cores)", 0, 1024)
    .add(x.max_in_flight, "max-in-flight", "orders one processor holds at once", 1, 100000)
    .add(x.latency, "latency", "latency of the mock processing system", span_rule::not_negative)
    .add(x.failure_rate, "failure-rate", "share of failing orders, 0 to 1", 0, 1)
    .add(x.fail_match, "fail-match", "products containing this always fail");
  return result;
}

}  // namespace ordernode
