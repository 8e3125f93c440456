#include "tools/bench/flow_driver.hpp"

#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <unordered_map>

#include <caf/all.hpp>

#include "runtime/core/random.hpp"
#include "tools/bench/baselines.hpp"

namespace ordernode::bench {

namespace {

using progress_atom = caf::atom_constant<caf::atom("progress")>;
using pace_atom = caf::atom_constant<caf::atom("pace")>;

constexpr auto pace_tick = std::chrono::milliseconds(1);

// Keeps `window` orders in flight through the intake and timestamps each from its acceptance
// to the journal's commit of its final state.
struct driver_state {
  uint64_t total = 0;
  uint64_t window = 0;
  uint64_t submitted = 0;
  uint64_t finished = 0;
  std::unordered_map<std::string, order> pending;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> accepted;
  uint64_t refused = 0;
  double rate = 0;
  uint64_t held_back = 0;
  drive_result result;
  std::promise<drive_result> done;
  std::chrono::steady_clock::time_point started;
  order prototype;
};

using retry_atom = caf::atom_constant<caf::atom("retry")>;

void submit(caf::stateful_actor<driver_state>* self, const intake_actor& intake, order x) {
  self->send(intake, submit_atom::value, std::move(x), caf::actor_cast<admission_listener>(self));
}

// Orders the run may have submitted by now: all of them when saturated, else what the rate
// offered since the start.
uint64_t due(const driver_state& st) {
  if (st.rate <= 0)
    return st.total;
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - st.started).count();
  return std::min(st.total, static_cast<uint64_t>(secs * st.rate) + 1);
}

void submit_more(caf::stateful_actor<driver_state>* self, const intake_actor& intake) {
  auto& st = self->state;
  auto until = due(st);
  while (st.submitted < until && st.submitted - st.finished < st.window) {
    auto x = st.prototype;
    x.id = make_uuid();
    x.vip = st.submitted % 10 == 0;
    x.region = st.submitted % 3 == 0 ? "eu" : (st.submitted % 3 == 1 ? "us" : "ap");
    x.quantity = static_cast<int32_t>(st.submitted % 10) + 1;
    x.created_at = now();
    ++st.submitted;
    st.pending.emplace(x.id, x);
    submit(self, intake, std::move(x));
  }
  st.held_back = std::max(st.held_back, until - st.submitted);
}

caf::behavior driver(caf::stateful_actor<driver_state>* self, intake_actor intake,
                     journal_actor journal, uint64_t total, uint64_t window, double rate,
                     std::promise<drive_result> done) {
  auto& st = self->state;
  st.total = total;
  st.window = window;
  st.rate = rate;
  st.done = std::move(done);
  st.prototype = order{"", "keyboard", 1, "eu", "bench", false, 0};
  st.started = std::chrono::steady_clock::now();
  self
    ->request(journal, caf::infinite, subscribe_atom::value,
              caf::actor_cast<finished_listener>(self))
    .then([=](const totals&) {
      self->state.started = std::chrono::steady_clock::now();
      submit_more(self, intake);
      if (self->state.rate > 0)
        self->delayed_send(self, pace_tick, pace_atom::value);
    });
  self->delayed_send(self, std::chrono::seconds(1), progress_atom::value);
  return {
    [=](finished_atom, const std::vector<finished_order>& batch) {
      auto& st = self->state;
      auto t = std::chrono::steady_clock::now();
      for (auto& x : batch) {
        if (auto i = st.accepted.find(x.item.id); i != st.accepted.end()) {
          st.result.latency.add((t - i->second).count());
          st.accepted.erase(i);
        }
      }
      st.finished += batch.size();
      if (st.finished >= st.total) {
        st.result.seconds = std::chrono::duration<double>(t - st.started).count();
        st.result.held_back = st.held_back;
        st.done.set_value(std::move(st.result));
        self->quit();
        return;
      }
      submit_more(self, intake);
    },
    [=](dropped_atom, const std::vector<std::string>&) {},
    [=](pace_atom) {
      submit_more(self, intake);
      if (self->state.submitted < self->state.total)
        self->delayed_send(self, pace_tick, pace_atom::value);
    },
    [=](admitted_atom, std::vector<admission_note>& notes) {
      auto& st = self->state;
      auto t = std::chrono::steady_clock::now();
      for (auto& note : notes) {
        auto i = st.pending.find(note.order_id);
        if (i == st.pending.end())
          continue;
        if (note.taken()) {
          st.accepted.emplace(note.order_id, t);
          st.pending.erase(i);
        } else {
          // The intake learns of finished orders a moment after this driver does.
          ++st.refused;
          self->delayed_send(self, std::chrono::milliseconds(1), retry_atom::value, i->second);
        }
      }
    },
    [=](retry_atom, order& x) { submit(self, intake, std::move(x)); },
    [=](progress_atom) {
      auto& st = self->state;
      auto secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - st.started).count();
      std::fprintf(stderr, "  %llu / %llu orders finished (%.0f orders/s), RSS peak %.1f MiB\n",
                   static_cast<unsigned long long>(st.finished),
                   static_cast<unsigned long long>(st.total), st.finished / secs,
                   peak_rss_bytes() / 1048576.0);
      self->delayed_send(self, std::chrono::seconds(1), progress_atom::value);
    },
  };
}

}  // namespace

drive_result drive_orders(caf::actor_system& sys, const intake_actor& intake,
                          const journal_actor& journal, uint64_t total, uint64_t window,
                          double rate) {
  std::promise<drive_result> done;
  auto finished = done.get_future();
  auto d = sys.spawn(driver, intake, journal, total, window, rate, std::move(done));
  caf::scoped_actor self{sys};
  self->monitor(d);
  auto result = finished.get();
  self->receive([](caf::down_msg&) {});
  return result;
}

}  // namespace ordernode::bench
