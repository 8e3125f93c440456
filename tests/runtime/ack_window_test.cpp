#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/broker/ack_window.hpp"

using ordernode::ack_window;

TEST_CASE("in-order deliveries are acknowledged with one tag") {
  ack_window w;
  for (uint64_t tag = 1; tag <= 5; ++tag)
    w.delivered(tag);
  CHECK(w.take().tag == 0);
  for (uint64_t tag = 1; tag <= 5; ++tag)
    w.ready(tag);
  auto x = w.take();
  CHECK(x.tag == 5);
  CHECK(x.deliveries == 5);
  CHECK(w.take().tag == 0);
}

TEST_CASE("a pending delivery holds back the ready ones after it") {
  ack_window w;
  for (uint64_t tag = 1; tag <= 4; ++tag)
    w.delivered(tag);
  w.ready(1);
  w.ready(3);
  w.ready(4);
  CHECK(w.take().tag == 1);
  CHECK(w.take().tag == 0);
  w.ready(2);
  auto rest = w.take();
  CHECK(rest.tag == 4);
  CHECK(rest.deliveries == 3);
}

TEST_CASE("a rejected tag is never the one acknowledged") {
  ack_window w;
  for (uint64_t tag = 1; tag <= 3; ++tag)
    w.delivered(tag);
  w.ready(1);
  w.dropped(2);
  CHECK(w.take().tag == 1);
  w.dropped(3);
  CHECK(w.take().tag == 0);
  w.delivered(4);
  w.ready(4);
  CHECK(w.take().tag == 4);
}

TEST_CASE("a tag is acknowledged once, and a reset forgets the old channel") {
  ack_window w;
  w.delivered(1);
  w.ready(1);
  w.ready(1);
  CHECK(w.take().tag == 1);
  w.ready(1);
  CHECK(w.take().tag == 0);
  w.delivered(2);
  w.reset();
  w.delivered(1);
  w.ready(1);
  CHECK(w.take().tag == 1);
}
