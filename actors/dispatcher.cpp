#include "actors/dispatcher.hpp"

#include <algorithm>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/priority.hpp"

namespace ordernode {

namespace {

processor_actor spawn_worker(dispatcher_pointer self, size_t index) {
  auto handle = self->state.factory(self->system(), self, index);
  self->monitor(handle);
  return handle;
}

void update_gauges(dispatcher_state& st) {
  st.gauges->queued[0]->Set(static_cast<double>(st.normal.size()));
  st.gauges->queued[1]->Set(static_cast<double>(st.vip.size()));
  st.gauges->held->Set(static_cast<double>(st.held.size()));
  auto busy =
    std::count_if(st.workers.begin(), st.workers.end(), [](auto& w) { return w.held > 0; });
  st.gauges->busy_workers->Set(static_cast<double>(busy));
}

void pump(dispatcher_pointer self) {
  auto& st = self->state;
  st.stage.handled(backlog(self));
  while (!st.vip.empty() || !st.normal.empty()) {
    auto w = std::min_element(st.workers.begin(), st.workers.end(),
                              [](auto& x, auto& y) { return x.held < y.held; });
    if (w == st.workers.end() || w->held >= st.credits)
      break;
    auto& queue = st.vip.empty() ? st.normal : st.vip;
    auto x = std::move(queue.front());
    queue.pop_front();
    st.queued.erase(x.id);
    ++w->held;
    auto index = static_cast<size_t>(w - st.workers.begin());
    st.held.emplace(x.id, std::make_pair(index, x));
    st.stage.out->Increment();
    send_for(self, x.vip, w->handle, process_atom::value, std::move(x));
  }
  update_gauges(st);
}

void enqueue_front(dispatcher_state& st, order x) {
  st.queued.insert(x.id);
  (x.vip ? st.vip : st.normal).push_front(std::move(x));
}

void replace_worker(dispatcher_pointer self, size_t index, const caf::error& reason) {
  auto& st = self->state;
  std::vector<order> orphans;
  for (auto i = st.held.begin(); i != st.held.end();) {
    if (i->second.first == index) {
      orphans.push_back(std::move(i->second.second));
      i = st.held.erase(i);
    } else {
      ++i;
    }
  }
  std::sort(orphans.begin(), orphans.end(),
            [](auto& x, auto& y) { return x.created_at > y.created_at; });
  for (auto& x : orphans) {
    spdlog::warn("order {}: re-queued after its processor in region {} died", x.id, st.region);
    enqueue_front(st, std::move(x));
  }
  auto& w = st.workers[index];
  w.held = 0;
  ++w.restarts;
  st.gauges->worker_restarts->Increment();
  st.stage.error();
  w.handle = spawn_worker(self, index);
  spdlog::warn(
    "dispatcher {}: processor {} died ({}), restarted ({} restarts), {} orders re-queued",
    st.region, index, caf::to_string(reason), w.restarts, orphans.size());
}

}  // namespace

dispatcher_actor::behavior_type dispatcher(dispatcher_pointer self, std::string region,
                                           int32_t workers, int32_t credits,
                                           processor_factory factory,
                                           std::shared_ptr<node_metrics> metrics) {
  auto& st = self->state;
  st.metrics = or_unrecorded(std::move(metrics));
  st.gauges = &st.metrics->region(region);
  st.stage = st.metrics->stage("dispatcher", "dispatcher-" + region);
  st.region = std::move(region);
  st.credits = static_cast<size_t>(std::max(1, credits));
  st.factory = std::move(factory);
  for (int32_t i = 0; i < workers; ++i)
    st.workers.push_back({spawn_worker(self, static_cast<size_t>(i)), 0, 0});
  st.gauges->workers->Set(static_cast<double>(st.workers.size()));
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    auto i = std::find_if(st.workers.begin(), st.workers.end(),
                          [&](auto& w) { return w.handle.address() == msg.source; });
    if (i == st.workers.end())
      return;
    replace_worker(self, static_cast<size_t>(i - st.workers.begin()), msg.reason);
    pump(self);
  });
  return {
    [=](process_atom, order& x) {
      auto& st = self->state;
      if (st.held.count(x.id) > 0 || !st.queued.insert(x.id).second) {
        spdlog::info("order {}: dispatcher {} holds it already, ignoring it", x.id, st.region);
        return;
      }
      (x.vip ? st.vip : st.normal).push_back(std::move(x));
      pump(self);
    },
    [=](done_atom, const std::string& id) {
      auto& st = self->state;
      auto i = st.held.find(id);
      if (i == st.held.end())
        return;
      auto& w = st.workers[i->second.first];
      if (w.held > 0)
        --w.held;
      st.held.erase(i);
      pump(self);
    },
    [=](in_flight_atom) -> uint64_t {
      auto& st = self->state;
      return st.vip.size() + st.normal.size() + st.held.size();
    },
  };
}

}  // namespace ordernode
