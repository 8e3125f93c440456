// The bounded per-client queue of the WebSocket feed.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/http/websocket.hpp"

using namespace ordernode;

namespace {

bounded_queue::message msg(size_t n, char c = 'x') {
  return std::make_shared<const std::string>(n, c);
}

}  // namespace

TEST_CASE("a queue within its limit keeps everything") {
  bounded_queue q{100};
  CHECK(q.push(msg(40), false) == 0);
  CHECK(q.push(msg(60), false) == 0);
  CHECK(q.size() == 2);
  CHECK(q.bytes() == 100);
}

TEST_CASE("beyond its limit the oldest waiting messages go, never the one being written") {
  bounded_queue q{100};
  q.push(msg(60, 'a'), false);
  q.push(msg(30, 'b'), true);
  CHECK(q.push(msg(30, 'c'), true) == 1);
  REQUIRE(q.size() == 2);
  CHECK(q.front()->front() == 'a');
  q.pop();
  CHECK(q.front()->front() == 'c');
  CHECK(q.bytes() == 30);
}

TEST_CASE("memory stays bounded whatever a client fails to read") {
  bounded_queue q{1000};
  size_t dropped = 0;
  for (int i = 0; i < 100000; ++i) {
    dropped += q.push(msg(10), true);
    CHECK(q.bytes() <= 1000);
  }
  CHECK(q.size() == 100);
  CHECK(dropped == 100000 - 100);
}

TEST_CASE("the newest message stays even when it alone is over the limit") {
  bounded_queue q{10};
  q.push(msg(5), false);
  CHECK(q.push(msg(50), false) == 1);
  CHECK(q.size() == 1);
  CHECK(q.front()->size() == 50);
}
