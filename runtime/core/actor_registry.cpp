#include "runtime/core/actor_registry.hpp"

namespace ordernode {

actor_registry::entry& actor_registry::at(const std::string& name, const std::string& kind) {
  auto i = entries_.find(name);
  if (i == entries_.end()) {
    i = entries_.emplace(name, entry{}).first;
    i->second.info.name = name;
    i->second.info.kind = kind;
    i->second.counters = std::make_shared<actor_counters>();
    order_.push_back(name);
  }
  return i->second;
}

std::shared_ptr<actor_counters> actor_registry::counters(const std::string& name,
                                                         const std::string& kind) {
  std::lock_guard<std::mutex> guard{mtx_};
  return at(name, kind).counters;
}

void actor_registry::started(const std::string& name, const std::string& kind, caf::actor hdl) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = at(name, kind);
  if (e.ever_started)
    ++e.info.restarts;
  e.ever_started = true;
  e.info.handle = std::move(hdl);
  e.info.alive = true;
  e.info.started_at = now();
}

void actor_registry::stopped(const std::string& name, const std::string& reason) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(name);
  if (i == entries_.end())
    return;
  i->second.info.handle = nullptr;
  i->second.info.alive = false;
  i->second.info.last_exit = reason;
}

std::vector<actor_info> actor_registry::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<actor_info> result;
  result.reserve(order_.size());
  for (auto& name : order_) {
    auto& e = entries_.at(name);
    auto info = e.info;
    info.handled = e.counters->handled.load(std::memory_order_relaxed);
    info.errors = e.counters->errors.load(std::memory_order_relaxed);
    info.mailbox = e.counters->mailbox.load(std::memory_order_relaxed);
    result.push_back(std::move(info));
  }
  return result;
}

caf::actor actor_registry::find(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(name);
  return i == entries_.end() ? caf::actor{} : i->second.info.handle;
}

}  // namespace ordernode
