// Test support: the whole order flow in process on a temporary SQLite file, with blocking
// helpers to talk to its stages from a test.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "runtime/node/config.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/external/processing_system.hpp"
#include "runtime/external/shipping_system.hpp"
#include "runtime/node/flow.hpp"
#include "runtime/store/sqlite_store.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

namespace ordernode::test {

constexpr auto request_timeout = std::chrono::seconds(10);

// A config for tests: no source, no latency, no failures, a report interval that never fires
// during a test.
inline void quiet_defaults(node_config& cfg, const std::string& journal_path) {
  cfg.source.enabled = false;
  cfg.processor.latency = caf::timespan{0};
  cfg.processor.failure_rate = 0;
  cfg.shipper.latency = caf::timespan{0};
  cfg.shipper.failure_rate = 0;
  cfg.shipper.retry_delay = std::chrono::milliseconds(1);
  cfg.node.report_interval = std::chrono::minutes(10);
  cfg.journal.path = journal_path;
}

// Orders that reached a final state, in the order the journal committed them.
struct finished_log {
  std::mutex mtx;
  std::vector<finished_order> items;

  std::vector<finished_order> snapshot() {
    std::lock_guard<std::mutex> guard{mtx};
    return items;
  }
};

inline finished_listener::behavior_type record_finished(finished_listener::pointer,
                                                        std::shared_ptr<finished_log> log) {
  return {
    [=](finished_atom, const std::vector<finished_order>& batch) {
      std::lock_guard<std::mutex> guard{log->mtx};
      log->items.insert(log->items.end(), batch.begin(), batch.end());
    },
    [=](dropped_atom, const std::vector<std::string>&) {},
  };
}

// Builds the flow on `cfg.journal.path` and stops it when it goes out of scope; the actor
// system then waits for every stage to end, which closes the database.
class flow_harness {
public:
  explicit flow_harness(node_config& cfg) : sys(cfg) {
    spdlog::set_level(spdlog::level::err);
    auto store = open_sqlite_store({cfg.journal.path, false, 5000});
    REQUIRE_MESSAGE(store, describe(store.error()));
    f = build_flow(
      sys, cfg,
      {std::shared_ptr<order_store>{std::move(*store)}, make_mock_processing(cfg.processor),
       make_mock_shipping(cfg.shipper), nullptr, nullptr});
  }

  flow_harness(const flow_harness&) = delete;
  flow_harness& operator=(const flow_harness&) = delete;

  ~flow_harness() {
    stop_flow(f);
    for (auto& x : listeners_)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
  }

  caf::expected<admission> submit(const order& x) {
    caf::expected<admission> result{caf::error{}};
    self->request(f.intake.get(), request_timeout, submit_atom::value, x)
      .receive([&](admission a) { result = a; }, [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  // Submits every order before waiting for the first answer, as concurrent clients would.
  std::vector<caf::expected<admission>> submit_all(const std::vector<order>& xs) {
    using handle =
      decltype(self->request(f.intake.get(), request_timeout, submit_atom::value, xs[0]));
    std::vector<handle> pending;
    pending.reserve(xs.size());
    for (auto& x : xs)
      pending.push_back(self->request(f.intake.get(), request_timeout, submit_atom::value, x));
    std::vector<caf::expected<admission>> result;
    for (auto& h : pending)
      h.receive([&](admission a) { result.emplace_back(a); },
                [&](caf::error& err) { result.emplace_back(std::move(err)); });
    return result;
  }

  template <class Handle>
  uint64_t in_flight(const stage_ref<Handle>& ref) {
    return in_flight(ref.get());
  }

  template <class Handle>
  uint64_t in_flight(const Handle& hdl) {
    uint64_t result = UINT64_MAX;
    self->request(hdl, request_timeout, in_flight_atom::value)
      .receive([&](uint64_t n) { result = n; },
               [&](caf::error& err) { FAIL("in_flight failed: " << describe(err)); });
    return result;
  }

  bool wait_idle(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return wait_until([&] { return in_flight(f.intake) == 0; }, timeout);
  }

  void flush() {
    bool done = false;
    self->request(f.journal, request_timeout, flush_atom::value)
      .receive([&](bool x) { done = x; },
               [&](caf::error& err) { FAIL("flush failed: " << describe(err)); });
    REQUIRE(done);
  }

  template <class Handle>
  totals totals_of(const stage_ref<Handle>& ref) {
    return totals_of(ref.get());
  }

  template <class Handle>
  totals totals_of(const Handle& hdl) {
    totals result;
    self->request(hdl, request_timeout, totals_atom::value)
      .receive([&](totals& x) { result = std::move(x); },
               [&](caf::error& err) { FAIL("totals failed: " << describe(err)); });
    return result;
  }

  std::shared_ptr<finished_log> subscribe_finished() {
    auto log = std::make_shared<finished_log>();
    auto listener = sys.spawn(record_finished, log);
    self->request(f.journal, request_timeout, subscribe_atom::value, listener)
      .receive([](totals&) {},
               [&](caf::error& err) { FAIL("subscribe failed: " << describe(err)); });
    listeners_.push_back(caf::actor_cast<caf::actor>(listener));
    return log;
  }

  caf::actor_system sys;
  flow f;
  caf::scoped_actor self{sys};

private:
  std::vector<caf::actor> listeners_;
};

}  // namespace ordernode::test
