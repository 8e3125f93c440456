#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <thread>

#include <spdlog/sinks/ringbuffer_sink.h>

#include "actors/aggregator.hpp"
#include "probes.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

finished_order finished(std::string id, std::string region, int32_t quantity, order_state state) {
  return finished_order{make_order(std::move(id), "mouse", quantity, std::move(region)), state, "",
                        now()};
}

struct aggregator_fixture : fixture {
  aggregator_actor start(totals initial, caf::timespan report_interval = std::chrono::hours(1)) {
    auto journal = spawn(journal_probe, sink(), journal_script{{}, std::move(initial), {}});
    auto result = spawn(aggregator, journal, report_interval);
    expect<subscribe_atom>("journal");
    return result;
  }

  // Polls until the aggregator holds `n` completed orders.
  totals wait_for_completed(const aggregator_actor& uut, uint64_t n) {
    auto deadline = std::chrono::steady_clock::now() + default_timeout;
    auto x = ask<totals>(uut, totals_atom::value);
    while (x.all.completed != n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      x = ask<totals>(uut, totals_atom::value);
    }
    return x;
  }
};

totals journal_totals() {
  totals x;
  x.by_region["eu"] = region_totals{2, 7, 1, 0};
  x.all = region_totals{2, 7, 1, 0};
  return x;
}

}  // namespace

TEST_CASE("add_finished counts each final state per region and overall, not dead letters") {
  totals x;
  add_finished(
    x,
    {finished("a", "eu", 3, order_state::completed), finished("b", "us", 4, order_state::completed),
     finished("c", "eu", 5, order_state::completed), finished("d", "eu", 9, order_state::rejected),
     finished("e", "us", 2, order_state::failed),
     finished("f", "us", 2, order_state::dead_letter)});
  CHECK(x.all == region_totals{3, 12, 1, 1});
  CHECK(x.by_region.size() == 2);
  CHECK(x.by_region["eu"] == region_totals{2, 8, 0, 1});
  CHECK(x.by_region["us"] == region_totals{1, 4, 1, 0});
}

TEST_CASE_FIXTURE(aggregator_fixture, "totals start from the journal's and add finished batches") {
  auto uut = start(journal_totals());
  auto initial = wait_for_completed(uut, 2);
  CHECK(initial.all == region_totals{2, 7, 1, 0});
  self->send(uut, finished_atom::value,
             std::vector<finished_order>{finished("a", "eu", 3, order_state::completed),
                                         finished("b", "us", 4, order_state::completed)});
  self->send(uut, finished_atom::value,
             std::vector<finished_order>{finished("c", "us", 6, order_state::completed),
                                         finished("d", "ap", 1, order_state::rejected),
                                         finished("e", "us", 8, order_state::failed)});
  auto x = ask<totals>(uut, totals_atom::value);
  CHECK(x.all == region_totals{5, 20, 2, 1});
  CHECK(x.by_region["eu"] == region_totals{3, 10, 1, 0});
  CHECK(x.by_region["us"] == region_totals{2, 10, 1, 0});
  CHECK(x.by_region["ap"] == region_totals{0, 0, 0, 1});
  CHECK(x.by_region.size() == 3);
}

TEST_CASE_FIXTURE(aggregator_fixture, "subscribers receive the totals after every change") {
  auto uut = start(journal_totals());
  wait_for_completed(uut, 2);
  auto subscriber = spawn(subscriber_probe, sink());
  self->send(uut, subscribe_atom::value, subscriber);
  auto first = std::get<1>(expect<totals_atom, totals>("subscriber"));
  CHECK(first.all == region_totals{2, 7, 1, 0});
  self->send(uut, finished_atom::value,
             std::vector<finished_order>{finished("a", "us", 5, order_state::completed)});
  auto second = std::get<1>(expect<totals_atom, totals>("subscriber"));
  CHECK(second.all == region_totals{3, 12, 1, 0});
  CHECK(second.by_region["us"] == region_totals{1, 5, 0, 0});
  self->send(uut, finished_atom::value,
             std::vector<finished_order>{finished("b", "eu", 1, order_state::failed)});
  auto third = std::get<1>(expect<totals_atom, totals>("subscriber"));
  CHECK(third.all == region_totals{3, 12, 2, 0});
  expect_quiet("subscriber", 50ms);
}

TEST_CASE_FIXTURE(aggregator_fixture, "the totals are logged every report interval") {
  // Static: an actor may still hold the raw default logger after it is switched back.
  static auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  static auto logger = std::make_shared<spdlog::logger>("test", ring);
  auto previous = spdlog::default_logger();
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);
  auto uut = start(journal_totals(), std::chrono::milliseconds(30));
  wait_for_completed(uut, 2);
  self->send(uut, finished_atom::value,
             std::vector<finished_order>{finished("a", "us", 5, order_state::completed)});
  wait_for_completed(uut, 3);
  auto expected = std::string{
    "Totals: 3 orders processed, quantity 12, 1 failed, 0 rejected | eu: 2 orders, quantity 7 | "
    "us: 1 orders, quantity 5"};
  auto deadline = std::chrono::steady_clock::now() + default_timeout;
  size_t reports = 0;
  while (reports < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    reports = 0;
    for (auto& line : ring->last_formatted())
      reports += line.find(expected) != std::string::npos ? 1 : 0;
  }
  spdlog::set_default_logger(previous);
  CHECK(reports >= 2);
}
