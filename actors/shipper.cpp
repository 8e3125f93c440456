#include "actors/shipper.hpp"

#include <algorithm>
#include <cmath>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"
#include "runtime/core/priority.hpp"
#include "runtime/core/random.hpp"

namespace ordernode {

caf::timespan retry_delay(const shipper_options& options, int32_t attempt) {
  auto delay = static_cast<double>(options.retry_delay.count());
  if (options.backoff == retry_backoff::exponential)
    delay = std::min(delay * std::pow(2.0, attempt - 1),
                     static_cast<double>(options.max_retry_delay.count()));
  if (options.jitter > 0)
    delay *=
      std::uniform_real_distribution<double>{1 - options.jitter, 1 + options.jitter}(thread_rng());
  return caf::timespan{static_cast<caf::timespan::rep>(delay)};
}

namespace {

constexpr size_t recent_limit = 65536;

// The order left the shipper's hands for good: shipped, or given up on with `cause`.
void release(shipper_pointer self, const std::string& id, std::string cause = {}) {
  auto& st = self->state;
  st.holding.erase(id);
  auto fresh = cause.empty() ? st.recent.insert(id).second
                             : st.gave_up.insert_or_assign(id, std::move(cause)).second;
  if (fresh) {
    st.recent_order.push_back(id);
    if (st.recent_order.size() > recent_limit) {
      st.recent.erase(st.recent_order.front());
      st.gave_up.erase(st.recent_order.front());
      st.recent_order.pop_front();
    }
  }
}

error_report shipping_failure(const std::string& id, const std::string& cause) {
  return error_report{id, stage_id::shipper, error_type::shipping, cause, now()};
}

}  // namespace

shipper_actor::behavior_type shipper(shipper_pointer self, shipper_options options,
                                     std::shared_ptr<shipping_system> system, journal_actor journal,
                                     error_channel_ref errors,
                                     std::shared_ptr<node_metrics> metrics) {
  metrics = or_unrecorded(std::move(metrics));
  auto stage = metrics->stage("shipper");
  auto attempt = [=](order& x, int32_t n) {
    auto detail = n == 1 ? std::string{} : "attempt " + std::to_string(n);
    send_for(self, x.vip, journal,
             order_event{x.id, order_state::shipping, stage_id::shipper, detail, now(), n});
    auto delay = system->latency(x);
    if (delay >= options.attempt_timeout)
      self->delayed_send(self, options.attempt_timeout, timeout_atom::value, std::move(x), n);
    else if (delay.count() > 0)
      self->delayed_send(self, delay, finish_atom::value, std::move(x), n);
    else
      self->send(self, finish_atom::value, std::move(x), n);
  };
  auto fail = [=](order& x, int32_t n, const std::string& cause) {
    if (n <= options.max_retries) {
      auto delay = retry_delay(options, n);
      spdlog::warn("order {}: shipping attempt {} failed ({}), retrying in {} ms", x.id, n, cause,
                   std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
      metrics->region_of(x).shipping_retries->Increment();
      // Recorded, so that a node resuming the order goes on with this attempt at this time.
      auto at = now();
      auto due = at + std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count();
      send_for(self, x.vip, journal,
               order_event{x.id, order_state::shipping, stage_id::shipper,
                           "attempt " + std::to_string(n) + " failed: " + cause + "; attempt "
                             + std::to_string(n + 1) + " due",
                           at, n + 1, due});
      self->delayed_send(self, delay, retry_atom::value, std::move(x), n + 1);
      return;
    }
    auto report = "failed after " + std::to_string(n) + " attempts: " + cause;
    release(self, x.id, report);
    stage.error();
    send_for(self, x.vip, errors.get(), shipping_failure(x.id, report));
  };
  return {
    [=](ship_atom, order& x) {
      auto& st = self->state;
      if (st.holding.count(x.id) > 0 || st.recent.count(x.id) > 0) {
        spdlog::info("order {}: shipper holds or shipped it already, ignoring it", x.id);
        return;
      }
      if (auto i = st.gave_up.find(x.id); i != st.gave_up.end()) {
        spdlog::warn("order {}: shipper gave up on it already, reporting it again", x.id);
        send_for(self, x.vip, errors.get(), shipping_failure(x.id, i->second));
        return;
      }
      st.holding.insert(x.id);
      stage.handled(backlog(self));
      attempt(x, 1);
    },
    [=](resume_atom, order& x, int32_t n, timestamp due) {
      auto& st = self->state;
      if (st.holding.count(x.id) > 0 || st.recent.count(x.id) > 0)
        return;
      st.holding.insert(x.id);
      stage.handled(backlog(self));
      auto wait = std::max<timestamp>(0, due - now());
      spdlog::info("order {}: shipping resumes with attempt {} in {} ms", x.id, n,
                   wait / 1'000'000);
      self->delayed_send(self, std::chrono::nanoseconds{wait}, retry_atom::value, std::move(x), n);
    },
    [=](retry_atom, order& x, int32_t n) {
      stage.counters->handled.fetch_add(1, std::memory_order_relaxed);
      attempt(x, n);
    },
    [=](finish_atom, order& x, int32_t n) {
      stage.counters->handled.fetch_add(1, std::memory_order_relaxed);
      auto result = system->ship(x, n);
      if (result) {
        spdlog::info("Shipping succeeded for order {} (tracking {}, attempt {})", x.id, *result, n);
        release(self, x.id);
        stage.out->Increment();
        send_for(self, x.vip, journal,
                 order_event{x.id, order_state::completed, stage_id::shipper, "tracking " + *result,
                             now(), n});
        return;
      }
      fail(x, n, describe(result.error()));
    },
    [=](timeout_atom, order& x, int32_t n) {
      stage.counters->handled.fetch_add(1, std::memory_order_relaxed);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(options.attempt_timeout);
      fail(x, n, "no answer within " + std::to_string(ms.count()) + " ms");
    },
  };
}

option_table option_table_of(shipper_options& x) {
  static constexpr std::array<const char*, 2> backoffs{"fixed", "exponential"};
  option_table result{"shipper"};
  result.add(x.latency, "latency", "latency of the mock shipping system", span_rule::not_negative)
    .add(x.failure_rate, "failure-rate", "share of failing attempts, 0 to 1", 0, 1)
    .add(x.max_retries, "max-retries", "retries after a failed attempt", 0, 100)
    .add(x.retry_delay, "retry-delay", "time between two attempts", span_rule::not_negative)
    .add(x.backoff, "backoff", "\"fixed\" or \"exponential\" (doubling) retry delays", backoffs)
    .add(x.max_retry_delay, "max-retry-delay", "longest exponential retry delay",
         span_rule::positive)
    .add(x.jitter, "jitter", "random share by which a retry delay varies, 0 to 1", 0, 1)
    .add(x.fail_match, "fail-match", "products containing this fail their first attempts")
    .add(x.fail_first, "fail-first", "failing attempts of fail-match products", 0, 1000000)
    .add(x.attempt_timeout, "attempt-timeout", "an attempt without an answer fails after this",
         span_rule::positive)
    .add(x.hang_match, "hang-match", "products containing this never get an answer")
    .add(x.ledger, "ledger", "file where the mock carrier records each shipment once");
  return result;
}

}  // namespace ordernode
