#include "actors/source.hpp"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"
#include "runtime/core/random.hpp"

namespace ordernode {

namespace {

template <class T>
const T& pick(const std::vector<T>& xs) {
  return xs[std::uniform_int_distribution<size_t>{0, xs.size() - 1}(thread_rng())];
}

}  // namespace

order make_mock_order(const source_options& options, const std::vector<std::string>& regions) {
  order x;
  x.id = make_uuid();
  x.product_name = pick(options.products);
  x.quantity = std::uniform_int_distribution<int32_t>{1, 10}(thread_rng());
  x.region = pick(regions);
  x.customer = pick(options.customers);
  x.vip = chance(options.vip_share);
  x.created_at = now();
  if (chance(options.invalid_share)) {
    switch (std::uniform_int_distribution<int>{0, 3}(thread_rng())) {
      case 0:
        x.product_name.clear();
        break;
      case 1:
        x.product_name = "   ";
        break;
      case 2:
        x.quantity = -x.quantity;
        break;
      default:
        x.region = "atlantis";
    }
  }
  return x;
}

std::pair<caf::timespan, int32_t> pace_for_rate(int32_t per_second) {
  auto burst = std::max<int32_t>(1, (per_second + 99) / 100);
  return {std::chrono::duration_cast<caf::timespan>(std::chrono::seconds(1)) * burst / per_second,
          burst};
}

source_actor::behavior_type source(source_pointer self, source_options options,
                                   std::vector<std::string> regions, intake_ref intake) {
  self->state.interval = options.interval;
  self->state.burst = options.burst;
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      auto& st = self->state;
      self->delayed_send(self, st.interval, tick_atom::value);
      if (st.paused)
        return;
      if (st.held_ticks > 0) {
        --st.held_ticks;
        ++st.skipped;
        return;
      }
      if (st.overloaded) {
        st.overloaded = false;
        ++st.skipped;
        spdlog::warn("source skips a burst: the intake is overloaded");
        return;
      }
      for (int32_t i = 0; i < st.burst; ++i) {
        auto x = make_mock_order(options, regions);
        ++self->state.generated;
        if (options.print)
          std::printf(
            "Order generated: id=%s product=\"%s\" quantity=%d region=%s customer=%s vip=%s\n",
            x.id.c_str(), x.product_name.c_str(), x.quantity, x.region.c_str(), x.customer.c_str(),
            x.vip ? "true" : "false");
        auto id = x.id;
        self->request(intake.get(), caf::infinite, submit_atom::value, std::move(x))
          .then([](admission) {},
                [=](const caf::error& err) {
                  ++self->state.refused;
                  auto& st = self->state;
                  if (err.category() == caf::atom("ordernode")
                      && err.code() == static_cast<uint8_t>(errc::overloaded))
                    st.overloaded = true;
                  // While the journal cannot record anything the source holds back for a
                  // second at a time instead of making orders only to see them refused.
                  if (err.category() == caf::atom("ordernode")
                      && err.code() == static_cast<uint8_t>(errc::store_failure)
                      && st.held_ticks == 0) {
                    st.held_ticks = st.interval.count() > 0
                                      ? std::max<int64_t>(1, std::chrono::seconds(1) / st.interval)
                                      : 1;
                    spdlog::warn("source holds back for 1 s: {}", describe(err));
                  }
                  spdlog::warn("order {}: not accepted: {}", id, describe(err));
                });
      }
      if (options.print)
        std::fflush(stdout);
    },
    [=](pause_atom) {
      spdlog::info("source paused");
      self->state.paused = true;
    },
    [=](resume_atom) {
      spdlog::info("source resumed");
      self->state.paused = false;
    },
    [=](rate_atom, int32_t per_second) {
      if (per_second < 1) {
        spdlog::warn("source ignores a rate of {} orders per second", per_second);
        return;
      }
      std::tie(self->state.interval, self->state.burst) = pace_for_rate(per_second);
      spdlog::info(
        "source rate: {} orders per second ({} every {} us)", per_second, self->state.burst,
        std::chrono::duration_cast<std::chrono::microseconds>(self->state.interval).count());
    },
  };
}

option_table option_table_of(source_options& x) {
  option_table result{"source"};
  result.add(x.enabled, "enabled", "generate mock orders")
    .add(x.interval, "interval", "time between two bursts of mock orders", span_rule::positive)
    .add(x.burst, "burst", "mock orders per interval", 1, 100000)
    .add(x.vip_share, "vip-share", "share of VIP orders, 0 to 1", 0, 1)
    .add(x.invalid_share, "invalid-share", "share of invalid orders, 0 to 1", 0, 1)
    .add(x.print, "print", "print each generated order to stdout")
    .add(x.products, "products", "product names to draw from", text_rule::not_empty)
    .add(x.customers, "customers", "customer names to draw from", text_rule::not_empty);
  return result;
}

}  // namespace ordernode
