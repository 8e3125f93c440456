#include "actors/broker_consumer.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/broker_publisher.hpp"
#include "runtime/broker/broker_codec.hpp"
#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

using consumer_pointer = broker_consumer_actor::stateful_pointer<broker_consumer_state>;

constexpr auto wait_per_tick = std::chrono::milliseconds(20);
constexpr auto inspection_interval = std::chrono::seconds(1);
constexpr auto resubmit_delay = std::chrono::milliseconds(100);
constexpr auto answer_timeout = std::chrono::seconds(5);

}  // namespace

std::string results_queue(const broker_options& options) {
  return options.results_exchange + "." + options.node_id;
}

broker_consumer_actor::behavior_type broker_consumer(consumer_pointer self, broker_options options,
                                                     std::vector<std::string> regions,
                                                     intake_ref intake, error_channel_ref errors,
                                                     broker_monitor_ref monitor,
                                                     std::shared_ptr<node_metrics> metrics) {
  metrics = or_unrecorded(std::move(metrics));
  self->state.backoff = reconnect_backoff{options.reconnect_delay, options.max_reconnect_delay};
  // Closes the connection; the tick loop reconnects after the backoff.
  auto retry_later = [=](const caf::error& err) {
    auto& st = self->state;
    st.session.reset();
    // Deliveries of the lost connection come again; their tags are void.
    st.orders.clear();
    st.acks.reset();
    metrics->broker().connected[1]->Set(0);
    st.reconnect_at = std::chrono::steady_clock::now() + st.backoff.next();
    if (st.backoff.first_failure())
      spdlog::warn("broker consumer: {}; reconnecting", describe(err));
  };
  // The one place that schedules the next tick, so that exactly one tick is ever on its way.
  auto next_tick = [=] {
    auto& st = self->state;
    if (st.session)
      self->send(self, tick_atom::value);
    else
      self->delayed_send(
        self,
        std::max(caf::timespan{0},
                 caf::timespan{st.reconnect_at - std::chrono::steady_clock::now()}),
        tick_atom::value);
  };
  auto connect = [=]() -> caf::error {
    auto session = amqp_session::open(options.url, to_ms(options.confirm_timeout));
    if (!session)
      return session.error();
    auto& s = **session;
    if (auto err = declare_topology(s, options, regions))
      return err;
    std::vector<std::string> queues;
    if (options.consume)
      for (auto& region : regions)
        queues.push_back(options.queue_prefix + region);
    if (options.publish) {
      auto queue = results_queue(options);
      if (auto err = s.declare_queue(queue, options.results_exchange, {"#"}))
        return err;
      queues.push_back(std::move(queue));
    }
    for (auto& queue : queues)
      if (auto err = s.consume(queue, static_cast<uint16_t>(options.prefetch)))
        return err;
    auto& st = self->state;
    st.session = std::move(*session);
    st.queues = std::move(queues);
    st.backoff.reset();
    spdlog::info("broker consumer connected, consuming {} queues", st.queues.size());
    return caf::none;
  };
  auto ack = [=](uint64_t tag) {
    self->state.acks.ready(tag);
  };
  // One multiple-ack for every delivery settled since the last flush.
  auto flush_acks = [=] {
    auto& st = self->state;
    if (!st.session)
      return;
    auto x = st.acks.take();
    if (x.tag == 0)
      return;
    if (auto err = st.session->ack(x.tag, true)) {
      retry_later(err);
      return;
    }
    metrics->broker().acks->Increment(static_cast<double>(x.deliveries));
  };
  auto submit = [=](broker_consumer_state::held& x) {
    x.submitted = std::chrono::steady_clock::now();
    self->send(intake.get(), take_atom::value, x.item, caf::actor_cast<admission_listener>(self));
  };
  auto take = [=](amqp_delivery& x) {
    auto& st = self->state;
    auto decoded = decode_order(x.body);
    if (!decoded) {
      auto cause = describe(decoded.error());
      spdlog::error("broker message {} from {} is no order: {}", x.message_id, x.routing_key,
                    cause);
      if (auto err = st.session->reject(x.tag, false)) {
        retry_later(err);
        return;
      }
      st.acks.dropped(x.tag);
      if (auto& hdl = errors.get())
        self->send(hdl, error_report{"", stage_id::broker, error_type::malformed_message,
                                     "message " + x.message_id + " from queue "
                                       + options.queue_prefix + x.routing_key + ": " + cause,
                                     now()});
      return;
    }
    auto& held = st.orders[decoded->id];
    held.tags.push_back(x.tag);
    if (held.tags.size() > 1)
      return;
    spdlog::debug("order {}: taken from the broker (trace {}{})", decoded->id, x.trace_id,
                  x.redelivered ? ", redelivered" : "");
    held.item = *decoded;
    submit(held);
  };
  auto inspect_queues = [=] {
    auto& st = self->state;
    uint64_t ready = 0;
    uint64_t consumers = 0;
    for (auto& queue : st.queues) {
      if (queue == results_queue(options))
        continue;
      auto info = st.session->inspect_queue(queue);
      if (!info) {
        retry_later(info.error());
        return;
      }
      ready += info->messages;
      consumers += info->consumers;
    }
    metrics->broker().queue_depth->Set(static_cast<double>(ready));
    metrics->broker().consumers->Set(static_cast<double>(consumers));
  };
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      auto& st = self->state;
      if (!st.session) {
        if (std::chrono::steady_clock::now() < st.reconnect_at) {
          next_tick();
          return;
        }
        if (auto err = connect()) {
          retry_later(err);
          next_tick();
          return;
        }
        metrics->broker().connected[1]->Set(1);
      }
      // Takes what arrived, then yields to the mailbox (admission notes) before the next round.
      for (int i = 0; i < options.prefetch && st.session; ++i) {
        auto next = st.session->next(i == 0 ? wait_per_tick : std::chrono::milliseconds(0));
        if (!next) {
          retry_later(next.error());
          break;
        }
        if (!*next)
          break;
        auto& x = **next;
        metrics->broker().deliveries->Increment();
        st.acks.delivered(x.tag);
        if (x.exchange == options.results_exchange) {
          auto result = decode_result(x.body);
          if (!result)
            spdlog::warn("broker result {} ignored: {}", x.message_id, describe(result.error()));
          else if (auto& hdl = monitor.get())
            self->send(hdl, result_atom::value, std::move(*result));
          ack(x.tag);
          continue;
        }
        take(x);
      }
      if (auto t = std::chrono::steady_clock::now(); st.session && t >= st.next_inspection) {
        st.next_inspection = t + inspection_interval;
        for (auto& [id, x] : st.orders)
          if (t - x.submitted >= answer_timeout)
            submit(x);
        inspect_queues();
      }
      flush_acks();
      next_tick();
    },
    [=](admitted_atom, std::vector<admission_note>& notes) {
      auto& st = self->state;
      for (auto& note : notes) {
        auto i = st.orders.find(note.order_id);
        if (i == st.orders.end())
          continue;
        if (!note.taken()) {
          self->delayed_send(self, resubmit_delay, retry_atom::value, note.order_id);
          continue;
        }
        auto tags = std::move(i->second.tags);
        st.orders.erase(i);
        for (auto tag : tags)
          ack(tag);
      }
      flush_acks();
    },
    [=](retry_atom, const std::string& id) {
      auto& st = self->state;
      if (auto i = st.orders.find(id); i != st.orders.end())
        submit(i->second);
    },
  };
}

}  // namespace ordernode
