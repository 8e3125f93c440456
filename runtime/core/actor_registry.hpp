// The node's directory of its actors: names, kinds, restarts and live counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "runtime/core/messages.hpp"

namespace ordernode {

// Counters an actor updates itself; they outlive restarts of the actor.
struct actor_counters {
  std::atomic<uint64_t> handled{0};  // Messages handled.
  std::atomic<uint64_t> errors{0};   // Errors the actor raised.
  std::atomic<uint64_t> mailbox{0};  // Mailbox size when it last handled a message.
};

// One actor as the admin shell and the metrics see it.
struct actor_info {
  std::string name;   // Unique, e.g. "processor-eu-2".
  std::string kind;   // The actor type, e.g. "processor".
  caf::actor handle;  // Invalid while the actor is down.
  bool alive = false;
  uint64_t handled = 0;
  uint64_t errors = 0;
  uint64_t mailbox = 0;
  uint64_t restarts = 0;
  timestamp started_at = 0;  // The current incarnation's start.
  std::string last_exit;     // Why the previous incarnation stopped; empty if it never did.
};

// Thread-safe: actors, the supervisor, the admin actor and the metrics share one registry.
class actor_registry {
public:
  // The counters of `name`, created on first use.
  std::shared_ptr<actor_counters> counters(const std::string& name, const std::string& kind);

  // Records that `name` now runs as `hdl`; every call after the first counts a restart.
  void started(const std::string& name, const std::string& kind, caf::actor hdl);

  // Records that `name` stopped, and why.
  void stopped(const std::string& name, const std::string& reason);

  // Every actor, in registration order.
  std::vector<actor_info> snapshot() const;

  // The live handle of `name`, or an invalid handle.
  caf::actor find(const std::string& name) const;

private:
  struct entry {
    actor_info info;
    std::shared_ptr<actor_counters> counters;
    bool ever_started = false;
  };

  entry& at(const std::string& name, const std::string& kind);

  mutable std::mutex mtx_;
  std::vector<std::string> order_;
  std::map<std::string, entry> entries_;
};

}  // namespace ordernode
