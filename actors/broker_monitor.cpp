#include "actors/broker_monitor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace ordernode {

namespace {

double seconds(timestamp x) {
  return x / 1e9;
}

}  // namespace

broker_monitor_actor::behavior_type broker_monitor(
  broker_monitor_actor::stateful_pointer<broker_monitor_state> self, broker_options options,
  error_channel_ref errors, size_t max_tracked) {
  auto deadline = std::chrono::duration_cast<std::chrono::nanoseconds>(options.result_deadline);
  auto threshold = std::chrono::duration_cast<std::chrono::nanoseconds>(options.delay_threshold);
  auto report = [=](error_type type, std::string cause) {
    spdlog::warn("broker monitor: {}", cause);
    if (auto& hdl = errors.get())
      self->send(hdl, error_report{"", stage_id::broker, type, std::move(cause), now()});
  };
  auto check = [=] {
    auto& st = self->state;
    auto limit = now() - deadline.count();
    while (!st.by_age.empty() && st.by_age.front().first <= limit) {
      auto [at, id] = std::move(st.by_age.front());
      st.by_age.pop_front();
      auto i = st.waiting.find(id);
      if (i == st.waiting.end() || i->second != at)
        continue;
      st.waiting.erase(i);
      ++st.lost;
      report(
        error_type::result_missing,
        fmt::format("order {}: no result {:.1f} s after its publish", id, seconds(now() - at)));
    }
  };
  self->delayed_send(self, std::chrono::seconds(1), tick_atom::value);
  return {
    [=](published_atom, std::vector<std::string>& ids, timestamp at) {
      auto& st = self->state;
      for (auto& id : ids) {
        st.waiting[id] = at;
        st.by_age.emplace_back(at, std::move(id));
      }
      while (st.by_age.size() > max_tracked) {
        auto& [t, id] = st.by_age.front();
        if (auto i = st.waiting.find(id); i != st.waiting.end() && i->second == t)
          st.waiting.erase(i);
        st.by_age.pop_front();
      }
    },
    [=](result_atom, order_result& x) {
      auto& st = self->state;
      auto i = st.waiting.find(x.order_id);
      if (i == st.waiting.end())
        return;
      auto took = x.at - i->second;
      st.waiting.erase(i);
      if (took > threshold.count()) {
        ++st.delayed;
        report(error_type::result_delayed,
               fmt::format("order {}: {} on {} {:.1f} s after its publish", x.order_id,
                           state_name(x.state), x.node, seconds(took)));
      }
    },
    [=](tick_atom) {
      check();
      self->delayed_send(self, std::chrono::seconds(1), tick_atom::value);
    },
    [=](check_results_atom) -> caf::result<uint64_t, uint64_t> {
      check();
      return {self->state.lost, self->state.delayed};
    },
  };
}

}  // namespace ordernode
