// The admin front: the one actor peers reach. It takes nothing but admin commands, so no exit,
// error or down message from a peer can end it; it checks each command's token (admin_guard)
// and has the admin actor run the accepted ones.
#pragma once

#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/node_id.hpp>
#include <caf/timespan.hpp>

#include "runtime/admin/admin_actor.hpp"
#include "runtime/admin/admin_guard.hpp"
#include "runtime/core/stage_ref.hpp"

namespace ordernode {

struct admin_front_config {
  std::string token;
  admin_guard_options guard;
  // The current admin actor; a supervisor may replace it.
  stage_ref<admin_commands_actor> commands;
  // The front ends when this actor goes down, and on nothing else. It must be local and never
  // talk to a peer: CAF resolves an address a peer names on this node through its registry
  // of published actors and of actors that sent to a peer, so a peer cannot name this one.
  caf::actor keeper;
  // Closes the connection of a peer the guard blocked; may be empty.
  std::function<void(const caf::node_id&)> drop_peer;
  caf::timespan command_timeout = std::chrono::minutes(2);
};

// Answers admin_actor's messages (publish it with admin_actor's message types).
caf::actor spawn_admin_front(caf::actor_system& sys, admin_front_config cfg);

}  // namespace ordernode
