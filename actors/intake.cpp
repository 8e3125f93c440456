#include "actors/intake.hpp"

#include <optional>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"
#include "runtime/core/priority.hpp"

namespace ordernode {

namespace {

void reenter(intake_pointer self, const flow_entries& entries, stored_order& x) {
  auto vip = x.item.vip;
  if (x.recoveries > entries.max_recoveries) {
    send_for(
      self, vip, entries.errors.get(),
      error_report{x.item.id, stage_id::intake, error_type::dead_letter,
                   "recovered " + std::to_string(x.recoveries - 1) + " times without finishing",
                   now()});
    return;
  }
  switch (x.state) {
    case order_state::received:
      send_for(self, vip, entries.validator.get(), std::move(x.item));
      return;
    case order_state::validated:
    case order_state::processing:
      if (auto i = entries.dispatchers.find(x.item.region); i != entries.dispatchers.end()) {
        send_for(self, vip, i->second.get(), process_atom::value, std::move(x.item));
        return;
      }
      send_for(self, vip, entries.errors.get(),
               error_report{x.item.id, stage_id::intake, error_type::recovery,
                            "region '" + x.item.region + "' is no longer configured", now()});
      return;
    case order_state::shipping:
      // At the attempt it was at, or waits for at its recorded time.
      if (x.attempt > 1) {
        send_for(self, vip, entries.shipper.get(), resume_atom::value, std::move(x.item), x.attempt,
                 x.due);
        return;
      }
      send_for(self, vip, entries.shipper.get(), ship_atom::value, std::move(x.item));
      return;
    default:
      send_for(self, vip, entries.shipper.get(), ship_atom::value, std::move(x.item));
  }
}

}  // namespace

intake_actor::behavior_type intake(intake_pointer self, journal_actor journal, flow_entries entries,
                                   uint64_t max_in_flight, outbox_actor forward_to) {
  self->state.max_in_flight = max_in_flight;
  // Every order the journal holds unfinished counts, also after a restart of the intake.
  self->request(journal, caf::infinite, live_atom::value)
    .then([=](uint64_t n) { self->state.in_flight += n; },
          [](const caf::error& err) {
            spdlog::critical("intake cannot count the orders in flight: {}", describe(err));
          });
  self->request(journal, caf::infinite, subscribe_atom::value, finished_listener{self})
    .then([](const totals&) {},
          [](const caf::error& err) {
            spdlog::critical("intake cannot subscribe to the journal: {}", describe(err));
          });
  // An order of a region this node does not serve stays here: the validator rejects it.
  auto forwards = [=](const order& x) {
    return forward_to && entries.dispatchers.count(x.region) > 0;
  };
  // Returns the refusal, if any; otherwise hands `x` to the journal.
  auto admit = [=](order& x, intake_state::waiter w) -> std::optional<admission_note> {
    auto& st = self->state;
    if (st.in_flight >= st.max_in_flight)
      return admission_note::refused_for(
        x.id, refusal::overloaded,
        std::to_string(st.in_flight) + " orders in flight, try again later");
    if (st.waiting.count(x.id) > 0)
      return admission_note::refused_for(x.id, refusal::in_progress,
                                         "order " + x.id + " is being submitted already");
    ++st.in_flight;
    if (w.forwarded)
      self->send(forward_to, forward_atom::value, x);
    else
      self->send(journal, admit_atom::value, x);
    w.item = std::move(x);
    auto id = w.item.id;
    st.waiting.emplace(std::move(id), std::move(w));
    return std::nullopt;
  };
  return {
    [=](submit_atom, order& x) -> caf::result<admission> {
      // The promise took over the request: a refusal must go through it.
      auto rp = self->make_response_promise<admission>();
      if (auto note = admit(x, {{}, rp, {}, forwards(x)}))
        rp.deliver(make_error(note->refused, std::move(note->detail)));
      return rp;
    },
    [=](submit_atom, order& x, admission_listener& listener) {
      if (auto note = admit(x, {{}, {}, listener, forwards(x)}))
        self->send(listener, admitted_atom::value, std::vector<admission_note>{std::move(*note)});
    },
    [=](take_atom, order& x, admission_listener& listener) {
      if (auto note = admit(x, {{}, {}, listener, false}))
        self->send(listener, admitted_atom::value, std::vector<admission_note>{std::move(*note)});
    },
    [=](admitted_atom, std::vector<admission_note>& notes) {
      auto& st = self->state;
      std::vector<std::pair<admission_listener, std::vector<admission_note>>> replies;
      for (auto& note : notes) {
        auto i = st.waiting.find(note.order_id);
        if (i == st.waiting.end())
          continue;
        auto& w = i->second;
        if (!note.taken()) {
          --st.in_flight;
          spdlog::info("order {}: not accepted: {}: {}", note.order_id, to_string(note.refused),
                       note.detail);
          if (w.promise.pending())
            w.promise.deliver(make_error(note.refused, note.detail));
        } else if (note.outcome == admission::forwarded) {
          --st.in_flight;
          spdlog::info("order {}: recorded for the broker", note.order_id);
        } else if (note.outcome == admission::accepted) {
          auto vip = w.item.vip;
          send_for(self, vip, entries.validator.get(), std::move(w.item));
        } else {
          --st.in_flight;
          spdlog::info("order {}: duplicate submission ignored", note.order_id);
        }
        if (w.promise.pending()) {
          w.promise.deliver(note.outcome);
        } else if (w.listener) {
          auto r = std::find_if(replies.begin(), replies.end(),
                                [&](auto& x) { return x.first == w.listener; });
          if (r == replies.end())
            r = replies.emplace(replies.end(), w.listener, std::vector<admission_note>{});
          r->second.push_back(std::move(note));
        }
        st.waiting.erase(i);
      }
      for (auto& [listener, xs] : replies)
        self->send(listener, admitted_atom::value, std::move(xs));
    },
    [=](recover_atom) -> caf::result<uint64_t> {
      auto rp = self->make_response_promise<uint64_t>();
      self->request(journal, caf::infinite, unfinished_atom::value)
        .then(
          [=](std::vector<stored_order>& xs) mutable {
            for (auto& x : xs) {
              spdlog::info("order {}: recovered in state {}", x.item.id, to_string(x.state));
              reenter(self, entries, x);
            }
            if (!xs.empty())
              spdlog::info("recovered {} unfinished orders from the journal", xs.size());
            rp.deliver(static_cast<uint64_t>(xs.size()));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](resume_atom, std::vector<stored_order>& xs) {
      self->state.in_flight += xs.size();
      for (auto& x : xs)
        reenter(self, entries, x);
    },
    [=](finished_atom, const std::vector<finished_order>& batch) {
      auto& st = self->state;
      st.in_flight -= std::min(st.in_flight, static_cast<uint64_t>(batch.size()));
    },
    [=](dropped_atom, const std::vector<std::string>& ids) {
      auto& st = self->state;
      st.in_flight -= std::min(st.in_flight, static_cast<uint64_t>(ids.size()));
    },
    [=](in_flight_atom) { return self->state.in_flight; },
    [=](redrive_atom, std::vector<order_state>& states, std::string& region) {
      self->request(journal, caf::infinite, live_atom::value, std::move(states), std::move(region))
        .then(
          [=](std::vector<stored_order>& xs) {
            for (auto& x : xs) {
              spdlog::warn("order {}: re-sent in state {} after a stage restart", x.item.id,
                           to_string(x.state));
              reenter(self, entries, x);
            }
          },
          [](const caf::error& err) {
            spdlog::error("intake cannot re-send the orders of a restarted stage: {}",
                          describe(err));
          });
    },
  };
}

}  // namespace ordernode
