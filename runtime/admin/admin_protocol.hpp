// The admin wire protocol: one typed request (atom, token, command line) answered by a reply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace ordernode {

using admin_atom = caf::atom_constant<caf::atom("admin")>;

// A node of the cluster as `nodes` lists it, for the shell to attach to (`use`, `actors --all`).
struct admin_member {
  std::string id;
  std::string state;  // "up", "down" or "left".
  std::string admin;  // host:port of its admin endpoint; empty when off.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admin_member& x) {
  return f(caf::meta::type_name("admin_member"), x.id, x.state, x.admin);
}

// What the admin actor answers to one command.
struct admin_reply {
  enum : int32_t { ok = 0, failed = 1, refused = 2 };
  int32_t code = ok;
  std::string text;                   // For the terminal.
  std::string attachment;             // A file to save, e.g. the HTML of `report`; usually empty.
  std::vector<admin_member> members;  // Filled by `nodes`.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admin_reply& x) {
  return f(caf::meta::type_name("admin_reply"), x.code, x.text, x.attachment, x.members);
}

// The node's admin endpoint, published through CAF's middleman.
using admin_actor =
  caf::typed_actor<caf::replies_to<admin_atom, std::string, std::string>::with<admin_reply>>;

// Registers the types that cross the node boundary; both ends must call it.
inline void add_admin_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<admin_reply>("ordernode::admin_reply");
}

}  // namespace ordernode
