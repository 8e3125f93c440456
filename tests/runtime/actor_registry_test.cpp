#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <caf/all.hpp>

#include "runtime/core/actor_registry.hpp"

using namespace ordernode;

TEST_CASE("the registry counts restarts and keeps counters across them") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  // With an argument: CAF 0.17 binds a null empty tuple for a spawn without one (UBSan).
  auto idle = [](int) {
    return caf::behavior{[](int) {
    }};
  };
  actor_registry reg;
  auto counters = reg.counters("validator", "validator");
  counters->handled += 3;
  reg.started("validator", "validator", sys.spawn(idle, 0));
  reg.started("shipper", "shipper", sys.spawn(idle, 0));
  reg.stopped("validator", "runtime_error");
  CHECK_FALSE(reg.find("validator"));
  auto again = sys.spawn(idle, 0);
  reg.started("validator", "validator", again);
  CHECK(reg.find("validator") == again);
  auto all = reg.snapshot();
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "validator");
  CHECK(all[0].alive);
  CHECK(all[0].restarts == 1);
  CHECK(all[0].handled == 3);
  CHECK(all[0].last_exit == "runtime_error");
  CHECK(all[1].restarts == 0);
  CHECK(reg.counters("validator", "validator") == counters);
  for (auto& x : all)
    caf::anon_send_exit(x.handle, caf::exit_reason::user_shutdown);
}
