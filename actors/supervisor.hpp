// The supervisor: restarts failed stages with backoff, re-sends what they held, and stops the
// node when failures come too fast.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

#include "runtime/core/actor_registry.hpp"
#include "runtime/core/option_table.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

struct supervisor_options {
  int32_t max_restarts = 5;  // Within `restart_window`; one more stops the node.
  caf::timespan restart_window = std::chrono::seconds(10);
  caf::timespan backoff = std::chrono::milliseconds(100);  // Doubles per restart in the window.
  caf::timespan max_backoff = std::chrono::seconds(5);
  std::vector<std::string> inject_crash;  // "stage@delay": crash a stage once, for tests.
};

// One planned crash of a stage: "shipper@2s" crashes the shipper 2 s after the start.
struct crash_injection {
  std::string stage;
  caf::timespan delay{0};
};

std::optional<crash_injection> parse_crash_injection(const std::string& x);

// The config keys supervisor.*.
option_table option_table_of(supervisor_options& x);

// One supervised stage.
struct child_spec {
  std::string name;  // Unique: "validator", "dispatcher-eu", ...
  std::string kind;  // The actor type.
  // Spawns a new incarnation and publishes it to the stage's references. Empty for a child
  // that cannot be restarted: its death stops the node (the journal).
  std::function<caf::actor(caf::actor_system&)> spawn;
  // The states of the orders the stage may hold; re-sent through the intake after a restart.
  std::vector<order_state> custody;
  std::string region;  // Limits `custody` to one region; empty for all.
  caf::actor handle;   // Set for a child spawned before the supervisor (the journal).
};

// Calls back when the supervisor gives up; the node then drains and stops.
using escalation = std::function<void(const std::string& why)>;

using supervisor_actor = caf::typed_actor<caf::reacts_to<restart_atom, std::string>,
                                          caf::reacts_to<crash_atom, std::string>>;

struct supervisor_state {
  struct child {
    child_spec spec;
    caf::actor handle;
    std::deque<caf::actor_clock::time_point> restarts;  // Within the window.
  };

  supervisor_options options;
  std::vector<child> children;
  std::deque<caf::actor_clock::time_point> restarts;  // Of all children, within the window.
  std::shared_ptr<actor_registry> registry;
  intake_ref intake;
  error_channel_ref errors;
  escalation give_up;
  bool gave_up = false;

  static inline const char* name = "supervisor";
};

using supervisor_pointer = supervisor_actor::stateful_pointer<supervisor_state>;

// Spawns every child in order and monitors it (one-for-one). A child that dies abnormally is
// restarted after a backoff that doubles with each of its restarts in the window; then the
// orders in its custody are re-sent through `intake` and the restart goes to the error
// channel and the registry. More than `max-restarts` restarts in `restart-window`, or the death
// of a child without `spawn`, calls `give_up` instead. `crash NAME` kills a child with
// `injected_crash`, as do the configured `inject-crash` entries.
supervisor_actor::behavior_type supervisor(supervisor_pointer self, supervisor_options options,
                                           std::vector<child_spec> children,
                                           std::shared_ptr<actor_registry> registry,
                                           intake_ref intake, error_channel_ref errors,
                                           escalation give_up);

}  // namespace ordernode
