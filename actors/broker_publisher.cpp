#include "actors/broker_publisher.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/broker/broker_codec.hpp"
#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

using publisher_pointer = broker_publisher_actor::stateful_pointer<broker_publisher_state>;

}  // namespace

caf::error declare_topology(amqp_session& session, const broker_options& options,
                            const std::vector<std::string>& regions) {
  if (auto err = session.declare_exchange(options.exchange, "topic"))
    return err;
  if (auto err = session.declare_exchange(options.results_exchange, "topic"))
    return err;
  for (auto& region : regions)
    if (auto err = session.declare_queue(options.queue_prefix + region, options.exchange, {region}))
      return err;
  return caf::none;
}

broker_publisher_actor::behavior_type broker_publisher(
  publisher_pointer self, broker_options options, std::vector<std::string> regions,
  outbox_actor outbox, broker_monitor_ref monitor, std::shared_ptr<node_metrics> metrics) {
  metrics = or_unrecorded(std::move(metrics));
  self->state.backoff = reconnect_backoff{options.reconnect_delay, options.max_reconnect_delay};
  // Closes the connection and tries again after the backoff.
  auto retry_later = [=](const caf::error& err) {
    auto& m = metrics->broker();
    auto& st = self->state;
    st.session.reset();
    m.connected[0]->Set(0);
    auto delay = st.backoff.next();
    if (st.backoff.first_failure())
      spdlog::warn("broker publisher: {}; orders wait in the outbox, retrying every {} ms at most",
                   describe(err), to_ms(options.max_reconnect_delay).count());
    self->delayed_send(self, delay, tick_atom::value);
  };
  auto connect = [=]() -> caf::error {
    auto session = amqp_session::open(options.url, to_ms(options.confirm_timeout));
    if (!session)
      return session.error();
    if (auto err = declare_topology(**session, options, regions))
      return err;
    if (auto err = (*session)->enable_confirms())
      return err;
    auto& st = self->state;
    st.session = std::move(*session);
    st.cursor = 0;
    st.backoff.reset();
    spdlog::info("broker publisher connected to {}", options.url.substr(options.url.find('@') + 1));
    return caf::none;
  };
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      auto& m = metrics->broker();
      if (!self->state.session) {
        if (auto err = connect()) {
          retry_later(err);
          return;
        }
        m.connected[0]->Set(1);
      }
      self->request(outbox, caf::infinite, outbox_atom::value, self->state.cursor, options.batch)
        .then(
          [=](outbox_page& page) {
            auto& m = metrics->broker();
            m.outbox_backlog->Set(static_cast<double>(page.backlog));
            m.lag_seconds->Set(page.oldest > 0 ? std::max(0.0, (now() - page.oldest) / 1e9) : 0.0);
            if (page.messages.empty()) {
              self->delayed_send(self, options.poll_interval, tick_atom::value);
              return;
            }
            std::vector<amqp_message> xs;
            xs.reserve(page.messages.size());
            for (auto& x : page.messages)
              xs.push_back(amqp_message{x.exchange, x.routing_key, x.message_id,
                                        trace_id_of(x.message_id), std::move(x.payload)});
            auto& st = self->state;
            if (auto err = st.session->publish_confirmed(xs, to_ms(options.confirm_timeout))) {
              m.confirms_nack->Increment();
              retry_later(err);
              return;
            }
            m.publishes->Increment(static_cast<double>(xs.size()));
            m.confirms_ack->Increment(static_cast<double>(xs.size()));
            std::vector<int64_t> seqs;
            std::vector<std::string> orders;
            for (auto& x : page.messages) {
              seqs.push_back(x.seq);
              if (x.exchange == options.exchange)
                orders.push_back(x.message_id);
            }
            st.cursor = seqs.back();
            self->send(outbox, published_atom::value, std::move(seqs));
            if (auto& hdl = monitor.get(); hdl && !orders.empty())
              self->send(hdl, published_atom::value, std::move(orders), now());
            if (page.messages.size() >= static_cast<size_t>(options.batch))
              self->send(self, tick_atom::value);
            else
              self->delayed_send(self, options.poll_interval, tick_atom::value);
          },
          [=](const caf::error& err) {
            spdlog::error("broker publisher cannot read the outbox: {}", describe(err));
            self->delayed_send(self, options.reconnect_delay, tick_atom::value);
          });
    },
  };
}

}  // namespace ordernode
