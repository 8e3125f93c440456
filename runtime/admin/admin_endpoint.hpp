// The node's admin endpoint: the admin actor under its own supervisor, the front that peers
// reach, and a listener whose connections cannot make the node allocate more than
// `max_message` bytes for one message before any token is checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/supervisor.hpp"
#include "runtime/admin/admin_actor.hpp"
#include "runtime/admin/admin_front.hpp"
#include "runtime/admin/admin_guard.hpp"

namespace ordernode {

struct admin_endpoint_config {
  std::string bind = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port.
  // The largest message a peer may announce; a larger one closes its connection unread.
  size_t max_message = 64 << 10;
  std::string token;
  admin_guard_options guard;
  admin_context context;
  // The admin actor is restarted like a stage; its supervisor reports to the error channel and
  // gives up like the node's (only `inject-crash` entries for "admin" apply).
  supervisor_options supervision;
  intake_ref intake;
  error_channel_ref errors;
  escalation give_up;
};

class admin_listener;

class admin_endpoint {
public:
  // Spawns the actors and listens; the caller's system must have loaded the middleman.
  static caf::expected<std::unique_ptr<admin_endpoint>> start(caf::actor_system& sys,
                                                              admin_endpoint_config cfg);

  admin_endpoint(const admin_endpoint&) = delete;
  admin_endpoint& operator=(const admin_endpoint&) = delete;

  ~admin_endpoint();

  uint16_t port() const {
    return port_;
  }

  // The published front (an admin_actor).
  const caf::actor& front() const {
    return front_;
  }

  // Stops listening, closes every admin connection and stops the actors; idempotent.
  void stop();

private:
  admin_endpoint(caf::actor_system& sys) : sys_(sys) {}

  caf::actor_system& sys_;
  uint16_t port_ = 0;
  std::shared_ptr<admin_listener> listener_;
  caf::actor supervisor_;
  stage_ref<admin_commands_actor> commands_;
  caf::actor front_;
  bool stopped_ = false;
};

}  // namespace ordernode
