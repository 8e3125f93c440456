#include "runtime/http/gateway.hpp"

#include <atomic>
#include <mutex>
#include <unordered_map>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"
#include "runtime/http/json_codec.hpp"

namespace ordernode {

struct flow_gateway::shared {
  std::mutex mtx;
  bool closed = false;
  // The submission of an id on its way: the order and whoever waits for its outcome.
  struct pending {
    order item;
    std::vector<admission_callback> waiters;
  };
  std::unordered_map<std::string, pending> admissions;
  std::unordered_map<uint64_t, totals_callback> totals_waiters;
  uint64_t next_totals = 0;
  std::atomic<bool> journal_up{true};
  changes_callback on_changes;

  // The callbacks run under the lock, so that none runs after close() returned.
  void admitted(std::vector<admission_note>& notes) {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto& note : notes) {
      auto i = admissions.find(note.order_id);
      if (i == admissions.end())
        continue;
      // Only the first submission of an id took it in; a later one with the same body that
      // joined it while it was on its way is a replay of it.
      auto replay = note;
      if (replay.taken() && replay.outcome == admission::accepted)
        replay.outcome = admission::duplicate;
      auto& waiters = i->second.waiters;
      for (size_t k = 0; k < waiters.size(); ++k)
        waiters[k](k == 0 ? note : replay);
      admissions.erase(i);
    }
  }

  void answer_totals(uint64_t id, caf::expected<totals> x) {
    std::lock_guard<std::mutex> guard{mtx};
    auto i = totals_waiters.find(id);
    if (i == totals_waiters.end())
      return;
    i->second(std::move(x));
    totals_waiters.erase(i);
  }

  void changed(std::vector<order_change>& xs) {
    std::lock_guard<std::mutex> guard{mtx};
    if (!closed && on_changes)
      on_changes(std::move(xs));
  }
};

namespace {

using gateway_actor =
  admission_listener::extend_with<change_listener>::extend<caf::reacts_to<totals_atom, uint64_t>,
                                                           caf::reacts_to<subscribe_atom>,
                                                           caf::reacts_to<unsubscribe_atom>>;

gateway_actor::behavior_type gateway(gateway_actor::pointer self,
                                     std::shared_ptr<flow_gateway::shared> sh,
                                     aggregator_ref aggregator, journal_actor journal) {
  self->monitor(journal);
  self->set_down_handler([sh](caf::down_msg&) { sh->journal_up = false; });
  return {
    [sh](admitted_atom, std::vector<admission_note>& notes) { sh->admitted(notes); },
    [sh](changed_atom, std::vector<order_change>& xs) { sh->changed(xs); },
    [=](totals_atom, uint64_t id) {
      self->request(aggregator.get(), std::chrono::seconds(5), totals_atom::value)
        .then([sh, id](totals& x) { sh->answer_totals(id, std::move(x)); },
              [sh, id](caf::error& err) { sh->answer_totals(id, std::move(err)); });
    },
    [=](subscribe_atom) { self->send(journal, subscribe_atom::value, change_listener{self}); },
    [=](unsubscribe_atom) { self->send(journal, unsubscribe_atom::value, change_listener{self}); },
  };
}

}  // namespace

flow_gateway::flow_gateway(caf::actor_system& sys, intake_ref intake, aggregator_ref aggregator,
                           journal_actor journal, changes_callback on_changes)
    : shared_(std::make_shared<shared>()), intake_(std::move(intake)) {
  shared_->on_changes = std::move(on_changes);
  actor_ = caf::actor_cast<caf::actor>(
    sys.spawn(gateway, shared_, std::move(aggregator), std::move(journal)));
}

flow_gateway::~flow_gateway() {
  close();
  caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
}

void flow_gateway::submit(order x, admission_callback done) {
  admission_callback conflict;
  {
    std::lock_guard<std::mutex> guard{shared_->mtx};
    if (shared_->closed)
      return;
    auto i = shared_->admissions.find(x.id);
    if (i == shared_->admissions.end()) {
      shared_->admissions.emplace(x.id, shared::pending{x, {std::move(done)}});
    } else if (same_order(i->second.item, x)) {
      i->second.waiters.push_back(std::move(done));
      return;
    } else {
      conflict = std::move(done);
    }
  }
  if (conflict) {
    conflict(admission_note::refused_for(x.id, refusal::conflict,
                                         "Idempotency-Key was used for a different order " + x.id));
    return;
  }
  auto listener = caf::actor_cast<admission_listener>(actor_);
  if (x.vip)
    caf::anon_send<caf::message_priority::high>(intake_.current(), submit_atom::value, std::move(x),
                                                listener);
  else
    caf::anon_send(intake_.current(), submit_atom::value, std::move(x), listener);
}

void flow_gateway::fetch_totals(totals_callback done) {
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> guard{shared_->mtx};
    if (shared_->closed)
      return;
    id = ++shared_->next_totals;
    shared_->totals_waiters.emplace(id, std::move(done));
  }
  caf::anon_send(caf::actor_cast<gateway_actor>(actor_), totals_atom::value, id);
}

void flow_gateway::watch_changes(bool on) {
  auto hdl = caf::actor_cast<gateway_actor>(actor_);
  if (on)
    caf::anon_send(hdl, subscribe_atom::value);
  else
    caf::anon_send(hdl, unsubscribe_atom::value);
}

bool flow_gateway::journal_up() const {
  return shared_->journal_up;
}

void flow_gateway::close() {
  std::lock_guard<std::mutex> guard{shared_->mtx};
  shared_->closed = true;
  shared_->admissions.clear();
  shared_->totals_waiters.clear();
}

}  // namespace ordernode
