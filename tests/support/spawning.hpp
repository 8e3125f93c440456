// Test support: a fixture's spawned actors, tracked so that the fixture stops them all.
#pragma once

#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

namespace ordernode::test {

// Mixed into a fixture with a member `caf::actor_system sys`.
template <class Fixture>
class spawning {
public:
  template <class Handle>
  Handle track(Handle x) {
    spawned_.push_back(caf::actor_cast<caf::actor>(x));
    return x;
  }

  // Spawns and tracks an actor; pass at least one argument to a function-based actor.
  template <class... Ts>
  auto spawn(Ts&&... xs) {
    return track(static_cast<Fixture*>(this)->sys.spawn(std::forward<Ts>(xs)...));
  }

protected:
  void stop_spawned() {
    for (auto& x : spawned_)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    // Handles outliving the actor system keep it from shutting down.
    spawned_.clear();
  }

private:
  std::vector<caf::actor> spawned_;
};

}  // namespace ordernode::test
