#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/admin/admin_front.hpp"
#include "tests/actors/probes.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

const std::string token = "0123456789abcdef0123456789abcdef";

using dropped_atom = caf::atom_constant<caf::atom("dropped")>;

admin_commands_actor::behavior_type fake_commands(admin_commands_actor::pointer self,
                                                  caf::actor sink) {
  return {
    [=](admin_atom, const std::string& line) -> admin_reply {
      forward(self, sink, "commands", line);
      return {admin_reply::ok, "ran " + line + "\n", {}, {}};
    },
  };
}

// Spawned functions take an argument: CAF 0.17 dereferences a null argument tuple otherwise.
caf::behavior keeper(caf::event_based_actor*, int) {
  return {[](int) {
  }};
}

struct front_fixture : fixture {
  stage_ref<admin_commands_actor> commands;
  caf::actor keeper_hdl = spawn(keeper, 0);
  admin_actor uut;

  explicit front_fixture(admin_guard_options guard = quick_guard()) {
    commands.set(spawn(fake_commands, sink()));
    auto me = sink();
    auto front = spawn_admin_front(
      sys, {token, guard, commands, keeper_hdl, [me](const caf::node_id& node) {
              caf::anon_send(me, std::string{"drop"}, false,
                             caf::make_message(dropped_atom::value, caf::to_string(node)));
            }});
    track(front);
    uut = caf::actor_cast<admin_actor>(front);
  }

  static admin_guard_options quick_guard() {
    admin_guard_options x;
    x.free_failures = 2;
    x.max_failures = 5;
    x.first_delay = std::chrono::milliseconds(100);
    x.max_delay = std::chrono::milliseconds(200);
    return x;
  }

  admin_reply run(const std::string& line, const std::string& with = token) {
    return ask<admin_reply>(uut, admin_atom::value, with, line);
  }
};

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE_FIXTURE(front_fixture, "a command with the right token runs, one with a wrong one not") {
  auto r = run("actors");
  CHECK(r.code == admin_reply::ok);
  CHECK(r.text == "ran actors\n");
  CHECK(expect_one<std::string>("commands") == "actors");
  auto wrong = run("source pause", "nope");
  CHECK(wrong.code == admin_reply::refused);
  CHECK(contains(wrong.text, "wrong admin token"));
  CHECK(run("", "").code == admin_reply::refused);
  expect_quiet("commands", 100ms);
}

TEST_CASE_FIXTURE(front_fixture, "exit, error and down messages do not end the front") {
  self->monitor(uut);
  self->send_exit(uut, caf::exit_reason::kill);
  caf::anon_send_exit(uut, caf::exit_reason::kill);
  self->send_exit(uut, caf::make_error(caf::sec::runtime_error));
  caf::anon_send(caf::actor_cast<caf::actor>(uut), caf::make_error(caf::sec::runtime_error));
  caf::anon_send(caf::actor_cast<caf::actor>(uut),
                 caf::down_msg{self->address(), caf::exit_reason::kill});
  auto linked = sys.spawn(
    [](caf::event_based_actor* x, caf::actor front) {
      x->link_to(front);
      x->quit(caf::make_error(caf::sec::runtime_error));
    },
    caf::actor_cast<caf::actor>(uut));
  (void)linked;
  CHECK(run("help").code == admin_reply::ok);
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; },
                caf::after(std::chrono::milliseconds(200)) >> [] {});
  CHECK_FALSE(down);
  // The keeper's end is the front's.
  caf::anon_send_exit(keeper_hdl, caf::exit_reason::user_shutdown);
  self->receive([&](caf::down_msg& x) { down = x.source == uut.address(); },
                caf::after(std::chrono::seconds(5)) >> [] {});
  CHECK(down);
}

TEST_CASE_FIXTURE(front_fixture, "wrong tokens slow down, then the peer is blocked and dropped") {
  using std::chrono::steady_clock;
  std::vector<caf::timespan> took;
  for (int i = 0; i < 4; ++i) {
    auto start = steady_clock::now();
    CHECK(run("actors", "guess").code == admin_reply::refused);
    took.push_back(steady_clock::now() - start);
  }
  CHECK(took[2] >= std::chrono::milliseconds(100));
  CHECK(took[3] >= std::chrono::milliseconds(200));
  auto fifth = run("actors", "guess");
  CHECK(contains(fifth.text, "blocked"));
  auto dropped = expect<dropped_atom, std::string>("drop");
  CHECK(std::get<1>(dropped) == caf::to_string(sys.node()));
  auto blocked = run("actors");
  CHECK(blocked.code == admin_reply::refused);
  CHECK(contains(blocked.text, "blocked"));
  expect_quiet("commands", 100ms);
}

TEST_CASE_FIXTURE(front_fixture, "commands reach the admin actor's newest incarnation") {
  auto first = commands.current();
  self->send_exit(first, caf::exit_reason::kill);
  auto r = run("actors");
  CHECK(r.code == admin_reply::failed);
  CHECK(contains(r.text, "did not answer"));
  commands.set(spawn(fake_commands, sink()));
  CHECK(run("actors").text == "ran actors\n");
}
