#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/admin/admin_guard.hpp"

using namespace ordernode;
using namespace std::chrono_literals;

namespace {

using verdict = admin_guard::verdict;

const std::string token = "0123456789abcdef0123456789abcdef";

admin_guard_options quick() {
  admin_guard_options x;
  x.free_failures = 3;
  x.max_failures = 10;
  x.first_delay = 100ms;
  x.max_delay = 3200ms;
  x.block_time = 120s;
  x.node_max_failures = 50;
  x.window = 60s;
  x.log_interval = 10s;
  return x;
}

const auto t0 = admin_guard::clock::time_point{} + 1000h;

}  // namespace

TEST_CASE("same_token compares the whole token") {
  CHECK(same_token(token, token));
  CHECK_FALSE(same_token("", token));
  CHECK_FALSE(same_token(token.substr(0, 31), token));
  CHECK_FALSE(same_token(token + "0", token));
  CHECK_FALSE(same_token("1123456789abcdef0123456789abcdef", token));
  CHECK_FALSE(same_token("0123456789abcdef0123456789abcdee", token));
  CHECK_FALSE(same_token("", ""));
  CHECK_FALSE(same_token("x", ""));
}

TEST_CASE("a peer's wrong tokens are answered ever slower, then the peer is blocked") {
  admin_guard g{token, quick()};
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 1; i <= 9; ++i) {
    auto d = g.check("peer-a", "guess", t0);
    CHECK(d.what == verdict::wrong_token);
    CHECK_FALSE(d.blocks_peer);
    delays.push_back(d.delay);
  }
  CHECK(delays
        == std::vector<std::chrono::milliseconds>{0ms, 0ms, 0ms, 100ms, 200ms, 400ms, 800ms, 1600ms,
                                                  3200ms});
  auto tenth = g.check("peer-a", "guess", t0);
  CHECK(tenth.what == verdict::wrong_token);
  CHECK(tenth.blocks_peer);
  CHECK(tenth.delay == 0ms);
  // Blocked: refused unchecked, even with the right token.
  CHECK(g.check("peer-a", token, t0 + 1s).what == verdict::peer_blocked);
  CHECK(g.check("peer-a", token, t0 + 119s).what == verdict::peer_blocked);
  // Other peers are not.
  CHECK(g.check("peer-b", token, t0 + 1s).what == verdict::accept);
  // After the block, one more wrong token blocks again; the right one clears the record.
  CHECK(g.check("peer-a", "guess", t0 + 121s).blocks_peer);
  CHECK(g.check("peer-a", token, t0 + 242s).what == verdict::accept);
  auto fresh = g.check("peer-a", "guess", t0 + 243s);
  CHECK(fresh.what == verdict::wrong_token);
  CHECK(fresh.delay == 0ms);
}

TEST_CASE("the right token resets a peer's count") {
  admin_guard g{token, quick()};
  for (int i = 0; i < 5; ++i)
    g.check("peer-a", "guess", t0);
  CHECK(g.check("peer-a", token, t0).what == verdict::accept);
  CHECK(g.check("peer-a", "guess", t0).delay == 0ms);
}

TEST_CASE("new peers cannot guess on once the node saw too many wrong tokens") {
  admin_guard g{token, quick()};
  for (int i = 0; i < 50; ++i)
    CHECK(g.check("peer-" + std::to_string(i), "guess", t0 + 1ms * i).what == verdict::wrong_token);
  auto capped = g.check("peer-new", token, t0 + 1s);
  CHECK(capped.what == verdict::node_capped);
  CHECK(g.check("peer-0", token, t0 + 59s).what == verdict::node_capped);
  // Once the window has passed the wrong tokens, commands are checked again.
  CHECK(g.check("peer-new", token, t0 + 61s).what == verdict::accept);
}

TEST_CASE("a peer's first wrong token gets a line, the rest one summary per interval") {
  auto opts = quick();
  opts.node_max_failures = 1000;
  admin_guard g{token, opts};
  CHECK(g.check("peer-a", "guess", t0).log);
  CHECK_FALSE(g.check("peer-a", "guess", t0).log);
  CHECK_FALSE(g.check("peer-a", "guess", t0).log);
  CHECK(g.summary_pending());
  CHECK_FALSE(g.summary(t0 + 1s));
  auto line = g.summary(t0 + 10s);
  REQUIRE(line);
  CHECK(line->find("2 more wrong tokens") != std::string::npos);
  CHECK_FALSE(g.summary_pending());
  CHECK_FALSE(g.summary(t0 + 30s));
  // At most five first lines per interval: new peers cannot flood the log either.
  int logged = 0;
  for (int i = 0; i < 100; ++i)
    logged += g.check("peer-" + std::to_string(i), "guess", t0 + 31s).log ? 1 : 0;
  CHECK(logged == 5);
  auto later = g.summary(t0 + 41s);
  REQUIRE(later);
  CHECK(later->find("95 more wrong tokens") != std::string::npos);
}

TEST_CASE("the guard remembers a bounded number of peers") {
  auto opts = quick();
  opts.max_peers = 3;
  opts.node_max_failures = 1000;
  admin_guard g{token, opts};
  for (int i = 0; i < 9; ++i)
    g.check("peer-a", "guess", t0);
  g.check("peer-b", "guess", t0 + 1s);
  g.check("peer-c", "guess", t0 + 2s);
  g.check("peer-d", "guess", t0 + 3s);  // Forgets peer-a, seen longest ago.
  CHECK(g.check("peer-a", "guess", t0 + 4s).delay == 0ms);
}

TEST_CASE("log_budget lets a burst through and counts the rest") {
  log_budget b{2, 10s};
  CHECK(b.take(t0));
  CHECK(b.take(t0));
  CHECK_FALSE(b.take(t0 + 1s));
  CHECK_FALSE(b.take(t0 + 2s));
  CHECK(b.summary_due(t0 + 3s) == 2);
  CHECK(b.summary_due(t0 + 4s) == 0);
  CHECK(b.take(t0 + 10s));
  CHECK(b.take(t0 + 11s));
  CHECK_FALSE(b.take(t0 + 12s));
  CHECK(b.summary_due(t0 + 12s) == 0);
  CHECK(b.summary_due(t0 + 13s) == 1);
}
