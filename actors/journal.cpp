#include "actors/journal.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

constexpr std::array<const char*, 2> journal_sync_names{"normal", "full"};

constexpr caf::timespan min_retry_delay = std::chrono::milliseconds(50);
constexpr caf::timespan max_retry_delay = std::chrono::seconds(2);

// One message per sender with all its notes.
void send_notes(journal_pointer self) {
  auto& notes = self->state.notes;
  std::vector<std::pair<caf::strong_actor_ptr, std::vector<admission_note>>> by_sender;
  for (auto& [sender, note] : notes) {
    auto i =
      std::find_if(by_sender.begin(), by_sender.end(), [&](auto& x) { return x.first == sender; });
    if (i == by_sender.end())
      i = by_sender.emplace(by_sender.end(), sender, std::vector<admission_note>{});
    i->second.push_back(std::move(note));
  }
  notes.clear();
  for (auto& [sender, xs] : by_sender)
    self->send(caf::actor_cast<admission_listener>(sender), admitted_atom::value, std::move(xs));
}

admission_note refused_note(const std::string& id, const std::string& why) {
  return admission_note::refused_for(id, refusal::journal_unavailable, why);
}

// An order is accepted only once a commit recorded it. The new and forwarded orders of a
// failed commit are refused at once, so that whoever submitted them can say "not accepted"
// (the API answers 503) instead of waiting while they might still be committed later; the
// changes of orders accepted before stay in the batch for the retry.
void refuse_admissions(journal_pointer self) {
  auto& st = self->state;
  auto& batch = st.batch;
  if (batch.new_orders.empty() && st.forwarded.empty())
    return;
  for (size_t i = 0; i < batch.new_orders.size(); ++i) {
    auto& id = batch.new_orders[i].id;
    spdlog::warn("order {}: not accepted: {}", id, st.refusal);
    if (st.appends[i].pending())
      st.appends[i].deliver(make_error(errc::store_failure, st.refusal));
    else
      st.notes.emplace_back(std::move(st.admitters[i]), refused_note(id, st.refusal));
  }
  batch.new_orders.clear();
  st.appends.clear();
  st.admitters.clear();
  if (!st.forwarded.empty()) {
    std::set<std::string> ids;
    for (auto& [sender, id] : st.forwarded) {
      spdlog::warn("order {}: not accepted: {}", id, st.refusal);
      ids.insert(id);
      st.notes.emplace_back(std::move(sender), refused_note(id, st.refusal));
    }
    st.forwarded.clear();
    st.outbox.withdraw(batch, ids);
  }
  send_notes(self);
}

// Forgets the orders whose changes the store fenced off: another node took them over while this
// one was down or paused. Their changes of this commit did not happen: no finished order, no
// live view, no broker result of theirs goes out.
void drop_lost(journal_pointer self, const std::vector<int64_t>& seqs) {
  auto& st = self->state;
  std::set<int64_t> lost{seqs.begin(), seqs.end()};
  std::set<std::string> ids;
  for (auto& x : st.batch.changes)
    if (lost.count(x.seq) > 0)
      ids.insert(x.event.order_id);
  for (auto& id : ids) {
    spdlog::warn("order {}: another node owns it now; this node drops it", id);
    st.live.erase(id);
  }
  for (size_t i = st.finished.size(); i-- > 0;)
    if (ids.count(st.finished[i].item.id) > 0) {
      st.finished.erase(st.finished.begin() + static_cast<std::ptrdiff_t>(i));
      st.finished_seconds.erase(st.finished_seconds.begin() + static_cast<std::ptrdiff_t>(i));
    }
  auto& changes = st.changes;
  changes.erase(std::remove_if(changes.begin(), changes.end(),
                               [&](auto& x) { return ids.count(x.event.order_id) > 0; }),
                changes.end());
  spdlog::warn(
    "journal: {} orders were taken over by another node while this one was away; "
    "dropped them",
    ids.size());
  std::vector<std::string> dropped{ids.begin(), ids.end()};
  for (auto& listener : st.listeners)
    self->send(listener, dropped_atom::value, dropped);
}

void commit(journal_pointer self) {
  auto& st = self->state;
  if (st.batch.empty() && st.flushes.empty()) {
    send_notes(self);
    return;
  }
  auto rows = st.batch.size();
  auto started = std::chrono::steady_clock::now();
  auto seqs = st.store->commit(st.batch);
  auto& m = st.metrics->journal();
  m.commit_seconds->Observe(
    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  m.batch_rows->Observe(static_cast<double>(rows));
  if (!seqs) {
    m.commit_failures->Increment();
    m.failing->Set(1);
    st.stage.error();
    st.retry_delay = std::min(max_retry_delay, std::max(min_retry_delay, st.retry_delay * 2));
    spdlog::error("journal commit of {} rows failed, retrying in {} ms: {}", st.batch.size(),
                  std::chrono::duration_cast<std::chrono::milliseconds>(st.retry_delay).count(),
                  describe(seqs.error()));
    st.refusal = "the journal cannot commit: " + describe(seqs.error());
    refuse_admissions(self);
    if (!st.tick_pending) {
      st.tick_pending = true;
      self->delayed_send(self, st.retry_delay, tick_atom::value);
    }
    return;
  }
  if (st.retry_delay.count() > 0) {
    spdlog::info("journal commits again after a failure");
    st.retry_delay = caf::timespan{0};
    st.refusal.clear();
    m.failing->Set(0);
  }
  if (auto fenced = st.store->fenced(); !fenced.empty())
    drop_lost(self, fenced);
  auto committed_at = now();
  for (size_t i = 0; i < st.batch.new_orders.size(); ++i) {
    auto& x = st.batch.new_orders[i];
    auto seq = (*seqs)[i];
    auto outcome = seq > 0 ? admission::accepted : admission::duplicate;
    if (st.appends[i].pending())
      st.appends[i].deliver(outcome);
    else
      st.notes.emplace_back(std::move(st.admitters[i]), admission_note::taken_as(x.id, outcome));
    if (seq > 0) {
      if (!st.change_listeners.empty())
        st.changes.push_back(
          order_change{order_event{x.id, order_state::received, stage_id::intake, "", x.created_at},
                       x.product_name, x.region, x.customer, x.quantity, x.vip});
      st.metrics->accepted(x);
      auto id = x.id;
      st.live.emplace(std::move(id), journal_state::live_order{
                                       seq, std::move(x), order_state::received, 0, committed_at});
    }
  }
  for (auto& [sender, id] : st.forwarded)
    st.notes.emplace_back(std::move(sender),
                          admission_note::taken_as(std::move(id), admission::forwarded));
  st.forwarded.clear();
  send_notes(self);
  if (!st.finished.empty()) {
    for (size_t i = 0; i < st.finished.size(); ++i)
      st.metrics->finished(st.finished[i].item, st.finished[i].state, st.finished_seconds[i]);
    st.stage.out->Increment(static_cast<double>(st.finished.size()));
    for (auto& listener : st.listeners)
      self->send(listener, finished_atom::value, st.finished);
    st.finished.clear();
    st.finished_seconds.clear();
  }
  if (!st.changes.empty()) {
    for (auto& listener : st.change_listeners)
      self->send(listener, changed_atom::value, st.changes);
    st.changes.clear();
  }
  st.metrics->in_flight().Set(static_cast<double>(st.live.size()));
  for (auto& rp : st.flushes)
    rp.deliver(true);
  st.batch.clear();
  st.appends.clear();
  st.admitters.clear();
  st.flushes.clear();
}

// While commits fail and nothing waits for a commit, finds out whether the store takes
// writes again, so that /readyz recovers on an idle node.
void probe(journal_pointer self) {
  auto& st = self->state;
  if (auto err = st.store->probe()) {
    st.retry_delay = std::min(max_retry_delay, std::max(min_retry_delay, st.retry_delay * 2));
    st.refusal = "the journal cannot commit: " + describe(err);
    st.tick_pending = true;
    self->delayed_send(self, st.retry_delay, tick_atom::value);
    return;
  }
  spdlog::info("journal commits again after a failure");
  st.retry_delay = caf::timespan{0};
  st.refusal.clear();
  st.metrics->journal().failing->Set(0);
}

// Called once per handled message.
void maybe_commit(journal_pointer self) {
  auto& st = self->state;
  st.stage.handled(backlog(self));
  if (st.retry_delay.count() > 0) {
    if (self->mailbox().empty())
      send_notes(self);
    return;
  }
  if (st.batch.size() >= st.max_batch || self->mailbox().empty())
    commit(self);
}

// Answers the sender `duplicate` for an order the journal holds unfinished; false otherwise.
bool note_if_live(journal_pointer self, const order& x) {
  auto& st = self->state;
  if (st.live.count(x.id) == 0)
    return false;
  st.notes.emplace_back(self->current_sender(),
                        admission_note::taken_as(x.id, admission::duplicate));
  return true;
}

// While commits fail, a new order is refused at once instead of waiting for a retry it might
// not see before its client gives up.
bool refuse_while_failing(journal_pointer self, const order& x) {
  auto& st = self->state;
  if (st.retry_delay.count() == 0)
    return false;
  spdlog::warn("order {}: not accepted: {}", x.id, st.refusal);
  st.notes.emplace_back(self->current_sender(), refused_note(x.id, st.refusal));
  return true;
}

void record(journal_pointer self, order_event& e) {
  auto& st = self->state;
  auto i = st.live.find(e.order_id);
  if (i == st.live.end()) {
    spdlog::debug("order {}: journal ignores {} for a finished or unknown order", e.order_id,
                  to_string(e.state));
    return;
  }
  auto& x = i->second;
  if (!is_legal(x.state, e.state)) {
    spdlog::warn("order {}: journal refuses illegal move {} -> {} from {}", e.order_id,
                 to_string(x.state), to_string(e.state), to_string(e.stage));
    return;
  }
  x.state = e.state;
  x.attempt = e.attempt;
  x.due = e.due;
  if (!st.change_listeners.empty())
    st.changes.push_back(order_change{e, x.item.product_name, x.item.region, x.item.customer,
                                      x.item.quantity, x.item.vip});
  if (is_final(e.state)) {
    st.finished_seconds.push_back(x.accepted_at > 0 ? (e.at - x.accepted_at) / 1e9 : -1.0);
    st.finished.push_back(finished_order{std::move(x.item), e.state, e.detail, e.at});
    if (auto result = st.outbox.result(st.finished.back()))
      st.batch.outbox.push_back(std::move(*result));
    auto seq = x.seq;
    auto n = x.next_event;
    auto epoch = x.epoch;
    st.live.erase(i);
    st.batch.changes.push_back(state_change{seq, n, std::move(e), epoch});
  } else {
    st.batch.changes.push_back(state_change{x.seq, x.next_event++, std::move(e), x.epoch});
  }
}

}  // namespace

journal_with_outbox_actor::behavior_type journal(journal_pointer self,
                                                 std::shared_ptr<order_store> store,
                                                 int32_t max_batch,
                                                 std::shared_ptr<node_metrics> metrics,
                                                 outbox_options outbox) {
  auto& st = self->state;
  st.outbox = journal_outbox{std::move(outbox)};
  st.metrics = or_unrecorded(std::move(metrics));
  st.stage = st.metrics->stage("journal");
  st.store = std::move(store);
  st.max_batch = static_cast<size_t>(std::max(1, max_batch));
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& xs = self->state.listeners;
    xs.erase(
      std::remove_if(xs.begin(), xs.end(), [&](auto& x) { return x.address() == msg.source; }),
      xs.end());
  });
  if (auto unfinished = st.store->unfinished()) {
    for (auto& x : *unfinished) {
      st.recovered.push_back(x.item);
      st.live.emplace(x.item.item.id, journal_state::live_order{
                                        x.seq, x.item.item, x.item.state, x.item.recoveries, 0,
                                        x.next_event, x.epoch, x.item.attempt, x.item.due});
    }
  } else {
    spdlog::critical("journal cannot read unfinished orders: {}", describe(unfinished.error()));
    self->quit(unfinished.error());
  }
  return {
    [=](append_atom, order& x) -> caf::result<admission> {
      auto& st = self->state;
      if (st.live.count(x.id) > 0)
        return admission::duplicate;
      if (st.retry_delay.count() > 0)
        return make_error(errc::store_failure, st.refusal);
      auto rp = self->make_response_promise<admission>();
      st.batch.new_orders.push_back(std::move(x));
      st.appends.push_back(rp);
      st.admitters.emplace_back();
      maybe_commit(self);
      return rp;
    },
    [=](admit_atom, order& x) {
      auto& st = self->state;
      if (!note_if_live(self, x) && !refuse_while_failing(self, x)) {
        st.batch.new_orders.push_back(std::move(x));
        st.appends.emplace_back();
        st.admitters.push_back(self->current_sender());
      }
      maybe_commit(self);
    },
    [=](forward_atom, order& x) {
      auto& st = self->state;
      if (!note_if_live(self, x) && !refuse_while_failing(self, x)) {
        st.forwarded.emplace_back(self->current_sender(), x.id);
        st.batch.outbox.push_back(st.outbox.forward(x));
      }
      maybe_commit(self);
    },
    [=](outbox_atom, int64_t after, int32_t limit) -> caf::result<outbox_page> {
      maybe_commit(self);
      auto page = self->state.outbox.page(*self->state.store, after, limit);
      if (!page)
        return page.error();
      return std::move(*page);
    },
    [=](published_atom, std::vector<int64_t>& seqs) {
      self->state.outbox.confirm(self->state.batch, seqs);
      maybe_commit(self);
    },
    [=](order_event& e) {
      record(self, e);
      maybe_commit(self);
    },
    [=](error_report& x) {
      self->state.batch.errors.push_back(std::move(x));
      maybe_commit(self);
    },
    [=](flush_atom) -> caf::result<bool> {
      auto rp = self->make_response_promise<bool>();
      self->state.flushes.push_back(rp);
      maybe_commit(self);
      return rp;
    },
    [=](tick_atom) {
      auto& st = self->state;
      st.tick_pending = false;
      if (st.retry_delay.count() == 0)
        return;  // A commit on another path succeeded meanwhile.
      if (st.batch.empty() && st.flushes.empty())
        return probe(self);
      commit(self);
    },
    [=](unfinished_atom) -> std::vector<stored_order> {
      maybe_commit(self);
      auto& st = self->state;
      auto result = std::move(st.recovered);
      st.recovered.clear();
      std::vector<int64_t> seqs;
      for (auto& x : result) {
        ++x.recoveries;
        if (auto i = st.live.find(x.item.id); i != st.live.end()) {
          i->second.recoveries = x.recoveries;
          seqs.push_back(i->second.seq);
        }
      }
      if (auto err = st.store->count_recovery(seqs))
        spdlog::error("journal cannot count recoveries: {}", describe(err));
      return result;
    },
    [=](live_atom, const std::vector<order_state>& states,
        const std::string& region) -> std::vector<stored_order> {
      commit(self);
      std::vector<stored_order> result;
      for (auto& [id, x] : self->state.live)
        if (std::find(states.begin(), states.end(), x.state) != states.end()
            && (region.empty() || x.item.region == region))
          result.push_back(stored_order{x.item, x.state, x.recoveries, x.attempt, x.due});
      std::sort(result.begin(), result.end(), [](auto& x, auto& y) {
        return x.item.vip != y.item.vip ? x.item.vip : x.item.created_at < y.item.created_at;
      });
      return result;
    },
    [=](live_atom) {
      commit(self);
      return static_cast<uint64_t>(self->state.live.size());
    },
    [=](take_over_atom, const std::string& from, const std::vector<std::string>& regions,
        caf::timespan lease) -> caf::result<std::vector<stored_order>> {
      commit(self);
      auto& st = self->state;
      auto taken = st.store->take_over(from, regions, lease);
      if (!taken)
        return taken.error();
      std::vector<stored_order> result;
      for (auto& x : *taken) {
        spdlog::info("order {}: taken over from node {} in state {} (epoch {})", x.item.item.id,
                     from, to_string(x.item.state), x.epoch);
        st.live.insert_or_assign(
          x.item.item.id,
          journal_state::live_order{x.seq, x.item.item, x.item.state, x.item.recoveries, 0,
                                    x.next_event, x.epoch, x.item.attempt, x.item.due});
        result.push_back(std::move(x.item));
      }
      if (!result.empty())
        spdlog::warn("recovered {} orders from node {}", result.size(), from);
      st.metrics->in_flight().Set(static_cast<double>(st.live.size()));
      return result;
    },
    [=](totals_atom) -> caf::result<totals> {
      maybe_commit(self);
      auto result = self->state.store->finished_totals();
      if (!result)
        return result.error();
      return std::move(*result);
    },
    [=](subscribe_atom, change_listener& x) {
      self->state.change_listeners.push_back(std::move(x));
    },
    [=](unsubscribe_atom, const change_listener& x) {
      auto& xs = self->state.change_listeners;
      xs.erase(std::remove(xs.begin(), xs.end(), x), xs.end());
    },
    [=](subscribe_atom, finished_listener& x) -> caf::result<totals> {
      maybe_commit(self);
      self->monitor(x);
      self->state.listeners.push_back(std::move(x));
      auto result = self->state.store->finished_totals();
      if (!result)
        return result.error();
      return std::move(*result);
    },
  };
}

const char* to_string(journal_sync x) {
  return journal_sync_names[static_cast<size_t>(x)];
}

journal_location location_of(const journal_options& x) {
  if (x.url.empty())
    return journal_location::sqlite_file(x.path);
  auto result = parse_journal_url(x.url);
  return result ? *result : journal_location::sqlite_file(x.path);
}

option_table option_table_of(journal_options& x) {
  option_table result{"journal"};
  result
    .add(x.url, "url",
         "sqlite:PATH or postgresql://user[:password]@host:port/dbname (empty: journal.path)")
    .rule("url", [&x] { return x.url.empty() ? std::string{} : why_not_journal_url(x.url); })
    .add(x.path, "path", "SQLite file of the order journal", text_rule::not_empty)
    .add(x.max_batch, "max-batch", "most rows in one commit", 1, 1000000)
    .add(x.synchronous, "synchronous", "\"normal\" or \"full\" (fsync every commit)",
         journal_sync_names)
    .add(x.wal_limit_mib, "wal-limit", "MiB of write-ahead log before it starts over", 1, 65536)
    .add(x.failures_file, "failures-file", "also append each failed order to this JSON-lines file")
    .add(x.statement_timeout, "statement-timeout",
         "PostgreSQL cancels a statement of the journal that runs longer", span_rule::positive);
  return result;
}

}  // namespace ordernode
