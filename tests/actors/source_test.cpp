#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "actors/source.hpp"
#include "actors/validator.hpp"
#include "probes.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

const std::vector<std::string> regions{"eu", "us"};

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::optional<std::string> problem(const order& x) {
  std::map<std::string, dispatcher_actor> known;
  for (auto& name : regions)
    known.emplace(name, dispatcher_actor{});
  auto violation = check_order(x, order_rules{}, known);
  if (!violation)
    return std::nullopt;
  return violation->message;
}

struct source_fixture : fixture {
  source_options options(caf::timespan interval, int32_t burst) {
    source_options result;
    result.interval = interval;
    result.burst = burst;
    result.print = false;
    result.invalid_share = 0;
    result.vip_share = 0;
    return result;
  }

  source_actor start(source_options opts, refusal refuses = refusal::none) {
    return spawn(source, opts, regions, spawn(intake_probe, sink(), refuses));
  }

  order next_submission(caf::timespan timeout = default_timeout) {
    return std::get<1>(expect<submit_atom, order>("intake", timeout));
  }

  std::vector<order> submissions(size_t n) {
    std::vector<order> result;
    while (result.size() < n)
      result.push_back(next_submission());
    return result;
  }
};

}  // namespace

TEST_CASE("make_mock_order draws every field from the options") {
  source_options opts;
  opts.invalid_share = 0;
  opts.vip_share = 0.5;
  std::set<std::string> ids;
  size_t vips = 0;
  for (int i = 0; i < 400; ++i) {
    auto x = make_mock_order(opts, regions);
    CAPTURE(x.id);
    CHECK(x.id.size() == 36);
    CHECK(x.id[14] == '7');
    CHECK(contains(opts.products, x.product_name));
    CHECK(contains(opts.customers, x.customer));
    CHECK(contains(regions, x.region));
    CHECK(x.quantity >= 1);
    CHECK(x.quantity <= 10);
    CHECK(x.created_at > 0);
    CHECK_FALSE(problem(x).has_value());
    ids.insert(x.id);
    vips += x.vip ? 1 : 0;
  }
  CHECK(ids.size() == 400);
  CHECK(vips > 100);
  CHECK(vips < 300);
}

TEST_CASE("make_mock_order makes invalid orders at the invalid share") {
  source_options opts;
  opts.invalid_share = 1;
  std::set<std::string> causes;
  for (int i = 0; i < 400; ++i) {
    auto x = make_mock_order(opts, regions);
    auto why = problem(x);
    REQUIRE(why.has_value());
    if (*why == "product name is empty")
      causes.insert("name");
    else if (why->rfind("quantity -", 0) == 0)
      causes.insert("quantity");
    else if (*why == "unknown region 'atlantis'")
      causes.insert("region");
    else
      causes.insert(*why);
  }
  CHECK(causes == std::set<std::string>{"name", "quantity", "region"});
}

TEST_CASE_FIXTURE(source_fixture, "every tick submits one burst") {
  auto uut = start(options(std::chrono::hours(1), 3));
  auto first = submissions(3);
  expect_quiet("intake", 100ms);
  self->send(uut, tick_atom::value);
  auto second = submissions(3);
  expect_quiet("intake", 100ms);
  std::set<std::string> ids;
  for (auto& x : first)
    ids.insert(x.id);
  for (auto& x : second)
    ids.insert(x.id);
  CHECK(ids.size() == 6);
}

TEST_CASE_FIXTURE(source_fixture, "a paused source skips its ticks until resumed") {
  auto uut = start(options(std::chrono::hours(1), 2));
  submissions(2);
  self->send(uut, pause_atom::value);
  self->send(uut, tick_atom::value);
  self->send(uut, tick_atom::value);
  expect_quiet("intake", 100ms);
  self->send(uut, resume_atom::value);
  self->send(uut, tick_atom::value);
  submissions(2);
  expect_quiet("intake", 100ms);
}

TEST_CASE_FIXTURE(source_fixture, "a source refused by a failing journal holds back for a second") {
  auto uut = start(options(std::chrono::milliseconds(250), 2), refusal::journal_unavailable);
  submissions(2);
  // The refusals arrive before the next tick; the three ticks of the next 750 ms send nothing.
  expect_quiet("intake", 850ms);
  submissions(2);
}

TEST_CASE_FIXTURE(source_fixture, "an overloaded intake costs the source one burst") {
  auto uut = start(options(std::chrono::milliseconds(100), 1), refusal::overloaded);
  submissions(1);
  expect_quiet("intake", 150ms);
  submissions(1);
}

TEST_CASE("pace_for_rate spreads a rate over at most 100 bursts a second") {
  using std::chrono::milliseconds;
  CHECK(pace_for_rate(1) == std::make_pair(caf::timespan{std::chrono::seconds(1)}, 1));
  CHECK(pace_for_rate(50) == std::make_pair(caf::timespan{milliseconds(20)}, 1));
  CHECK(pace_for_rate(100) == std::make_pair(caf::timespan{milliseconds(10)}, 1));
  CHECK(pace_for_rate(1000) == std::make_pair(caf::timespan{milliseconds(10)}, 10));
  auto [interval, burst] = pace_for_rate(150);
  CHECK(burst == 2);
  CHECK(interval == caf::timespan{std::chrono::nanoseconds(13'333'333)});
}

TEST_CASE_FIXTURE(source_fixture, "rate replaces the interval and the burst") {
  auto uut = start(options(std::chrono::hours(1), 1));
  submissions(1);
  expect_quiet("intake", 50ms);
  self->send(uut, rate_atom::value, int32_t{500});
  self->send(uut, tick_atom::value);
  submissions(20);
  self->send(uut, rate_atom::value, int32_t{0});
  self->send(uut, pause_atom::value);
}

TEST_CASE_FIXTURE(source_fixture, "bursts follow the interval") {
  auto uut = start(options(std::chrono::milliseconds(10), 3));
  auto started = std::chrono::steady_clock::now();
  auto xs = submissions(30);
  auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(elapsed >= std::chrono::milliseconds(80));
  std::vector<size_t> bursts{1};
  for (size_t i = 1; i < xs.size(); ++i) {
    if (xs[i].created_at - xs[i - 1].created_at > 5'000'000)
      bursts.push_back(1);
    else
      ++bursts.back();
  }
  CAPTURE(bursts.size());
  CHECK(bursts.size() == 10);
  CHECK(std::all_of(bursts.begin(), bursts.end(), [](size_t n) { return n == 3; }));
  for (auto& x : xs)
    CHECK_FALSE(problem(x).has_value());
  self->send(uut, pause_atom::value);
  collect("intake", 200ms);
  expect_quiet("intake", 100ms);
  self->send(uut, resume_atom::value);
  submissions(6);
}

TEST_CASE_FIXTURE(source_fixture, "with invalid-share 1 every order is invalid") {
  auto opts = options(std::chrono::milliseconds(10), 3);
  opts.invalid_share = 1;
  start(opts);
  for (auto& x : submissions(30)) {
    CAPTURE(x.id);
    CHECK(problem(x).has_value());
  }
}
