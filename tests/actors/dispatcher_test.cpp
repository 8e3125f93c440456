#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <mutex>

#include "actors/dispatcher.hpp"
#include "tests/actors/deterministic.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

// The processors a factory spawned; the n-th one is the probe "processor-n".
struct worker_log {
  std::mutex mtx;
  std::vector<processor_actor> handles;

  size_t size() {
    std::lock_guard<std::mutex> guard{mtx};
    return handles.size();
  }

  processor_actor at(size_t i) {
    std::lock_guard<std::mutex> guard{mtx};
    return handles.at(i);
  }
};

// On the deterministic scheduler (deterministic.hpp): the dispatcher has no timers, and a
// probe that is "quiet" got nothing more once every message in the system was delivered.
struct dispatcher_fixture : deterministic_fixture {
  dispatcher_actor start(int32_t workers, int32_t credits) {
    auto factory = [log = log, sink = sink()](caf::actor_system& sys, dispatcher_actor, size_t) {
      std::lock_guard<std::mutex> guard{log->mtx};
      auto name = "processor-" + std::to_string(log->handles.size());
      auto handle = sys.spawn(processor_probe, sink, name);
      log->handles.push_back(handle);
      return handle;
    };
    return spawn(dispatcher, "eu", workers, credits, factory, nullptr);
  }

  std::string next_at(const std::string& worker) {
    return std::get<1>(expect<process_atom, order>(worker)).id;
  }

  std::shared_ptr<worker_log> log = std::make_shared<worker_log>();
};

}  // namespace

TEST_CASE_FIXTURE(dispatcher_fixture, "the factory is called once per worker") {
  auto uut = start(3, 1);
  CHECK(ask<uint64_t>(uut, in_flight_atom::value) == 0);
  CHECK(log->size() == 3);
}

TEST_CASE_FIXTURE(dispatcher_fixture, "credits bound what each worker holds") {
  auto uut = start(2, 2);
  for (int i = 0; i < 10; ++i)
    self->send(uut, process_atom::value, make_order("o" + std::to_string(i)));
  REQUIRE(next_at("processor-0") == "o0");
  REQUIRE(next_at("processor-0") == "o2");
  REQUIRE(next_at("processor-1") == "o1");
  REQUIRE(next_at("processor-1") == "o3");
  expect_quiet("processor-0");
  expect_quiet("processor-1");
  CHECK(ask<uint64_t>(uut, in_flight_atom::value) == 10);
  SUBCASE("done frees one credit of the worker that held the order") {
    self->send(uut, done_atom::value, std::string{"o2"});
    REQUIRE(next_at("processor-0") == "o4");
    expect_quiet("processor-0");
    expect_quiet("processor-1");
    CHECK(ask<uint64_t>(uut, in_flight_atom::value) == 9);
    self->send(uut, done_atom::value, std::string{"o1"});
    REQUIRE(next_at("processor-1") == "o5");
  }
  SUBCASE("done for an unknown or already finished order frees nothing") {
    self->send(uut, done_atom::value, std::string{"o3"});
    REQUIRE(next_at("processor-1") == "o4");
    self->send(uut, done_atom::value, std::string{"o3"});
    self->send(uut, done_atom::value, std::string{"no-such-order"});
    self->send(uut, done_atom::value, std::string{"o9"});
    expect_quiet("processor-0");
    expect_quiet("processor-1");
    CHECK(ask<uint64_t>(uut, in_flight_atom::value) == 9);
  }
}

TEST_CASE_FIXTURE(dispatcher_fixture, "VIP orders overtake a backlog of normal orders") {
  auto uut = start(1, 1);
  for (int i = 0; i < 50; ++i)
    self->send(uut, process_atom::value, make_order("n" + std::to_string(i)));
  for (int i = 0; i < 3; ++i)
    self->send(uut, process_atom::value,
               make_order("v" + std::to_string(i), "laptop", 1, "eu", true));
  REQUIRE(next_at("processor-0") == "n0");
  CHECK_FALSE(last_urgent);
  expect_quiet("processor-0");
  CHECK(ask<uint64_t>(uut, in_flight_atom::value) == 53);
  std::vector<std::string> expected{"v0", "v1", "v2", "n1", "n2"};
  auto previous = std::string{"n0"};
  for (auto& id : expected) {
    self->send(uut, done_atom::value, previous);
    REQUIRE(next_at("processor-0") == id);
    CHECK(last_urgent == (id[0] == 'v'));
    previous = id;
  }
}

TEST_CASE_FIXTURE(dispatcher_fixture, "orders of a dead worker go to its replacement") {
  auto uut = start(2, 2);
  for (int i = 0; i < 5; ++i)
    self->send(uut, process_atom::value, make_order("o" + std::to_string(i)));
  REQUIRE(next_at("processor-0") == "o0");
  REQUIRE(next_at("processor-0") == "o2");
  REQUIRE(next_at("processor-1") == "o1");
  REQUIRE(next_at("processor-1") == "o3");
  REQUIRE(log->size() == 2);
  caf::anon_send_exit(log->at(0), caf::exit_reason::user_shutdown);
  REQUIRE(next_at("processor-2") == "o0");
  REQUIRE(next_at("processor-2") == "o2");
  CHECK(log->size() == 3);
  expect_quiet("processor-2");
  expect_quiet("processor-1");
  CHECK(ask<uint64_t>(uut, in_flight_atom::value) == 5);
  self->send(uut, done_atom::value, std::string{"o0"});
  REQUIRE(next_at("processor-2") == "o4");
  self->send(uut, done_atom::value, std::string{"o1"});
  expect_quiet("processor-1");
  CHECK(ask<uint64_t>(uut, in_flight_atom::value) == 3);
  SUBCASE("a second death is handled the same way") {
    caf::anon_send_exit(log->at(2), caf::exit_reason::unhandled_exception);
    REQUIRE(next_at("processor-3") == "o2");
    REQUIRE(next_at("processor-3") == "o4");
    CHECK(log->size() == 4);
  }
}

TEST_CASE_FIXTURE(dispatcher_fixture, "held VIP orders of a dead worker stay ahead of the queue") {
  auto uut = start(1, 1);
  self->send(uut, process_atom::value, make_order("v0", "laptop", 1, "eu", true));
  self->send(uut, process_atom::value, make_order("n0"));
  self->send(uut, process_atom::value, make_order("v1", "laptop", 1, "eu", true));
  REQUIRE(next_at("processor-0") == "v0");
  expect_quiet("processor-0");
  caf::anon_send_exit(log->at(0), caf::exit_reason::user_shutdown);
  REQUIRE(next_at("processor-1") == "v0");
  self->send(uut, done_atom::value, std::string{"v0"});
  REQUIRE(next_at("processor-1") == "v1");
  self->send(uut, done_atom::value, std::string{"v1"});
  REQUIRE(next_at("processor-1") == "n0");
}

TEST_CASE_FIXTURE(dispatcher_fixture, "a killed worker is replaced and the dispatcher lives on") {
  auto uut = start(1, 1);
  self->send(uut, process_atom::value, make_order("k0"));
  REQUIRE(next_at("processor-0") == "k0");
  caf::anon_send_exit(log->at(0), caf::exit_reason::kill);
  REQUIRE(next_at("processor-1") == "k0");
  CHECK(ask<uint64_t>(uut, in_flight_atom::value) == 1);
}

TEST_CASE_FIXTURE(dispatcher_fixture, "an order queued or held already is not taken twice") {
  auto uut = start(1, 1);
  self->send(uut, process_atom::value, make_order("d0"));
  self->send(uut, process_atom::value, make_order("d1"));
  self->send(uut, process_atom::value, make_order("d0"));
  self->send(uut, process_atom::value, make_order("d1"));
  REQUIRE(next_at("processor-0") == "d0");
  CHECK(ask<uint64_t>(uut, in_flight_atom::value) == 2);
  self->send(uut, done_atom::value, std::string{"d0"});
  REQUIRE(next_at("processor-0") == "d1");
  self->send(uut, done_atom::value, std::string{"d1"});
  expect_quiet("processor-0");
  CHECK(ask<uint64_t>(uut, in_flight_atom::value) == 0);
}
