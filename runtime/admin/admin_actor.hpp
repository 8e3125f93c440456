// The admin actor: runs the shell's commands on the actor registry, the flow and the journal.
// Peers never reach it: the admin front (admin_front.hpp) checks each command's token first.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "runtime/core/actor_registry.hpp"
#include "runtime/core/cluster_facts.hpp"
#include "runtime/admin/admin_protocol.hpp"
#include "runtime/core/stages.hpp"
#include "runtime/store/journal_location.hpp"

namespace ordernode {

// What the admin actor reaches besides the registry.
struct admin_context {
  std::shared_ptr<actor_registry> registry;
  source_ref source;  // May be invalid: source.enabled is off.
  aggregator_ref aggregator;
  journal_location journal_at;  // Read on a detached worker, never on the scheduler.
  cluster_facts cluster;
};

// The commands, one line each.
const std::string& admin_help();

// The words of a command line, split at blanks.
std::vector<std::string> split_words(const std::string& line);

// Runs one command line whose token the front accepted.
using admin_commands_actor =
  caf::typed_actor<caf::replies_to<admin_atom, std::string>::with<admin_reply>>;

// Spawns the admin actor and, linked to it, a detached worker for journal queries.
admin_commands_actor spawn_admin(caf::actor_system& sys, admin_context ctx);

}  // namespace ordernode
