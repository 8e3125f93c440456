#include "tools/bench/store_ceiling.hpp"

#include <array>
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "runtime/core/errors.hpp"
#include "runtime/core/random.hpp"
#include "runtime/store/sqlite_store.hpp"
#include "tools/bench/database_files_guard.hpp"

namespace ordernode::bench {

namespace {

order make_order(size_t i) {
  static constexpr std::array<const char*, 4> products{"widget-standard", "widget-pro", "gadget",
                                                       "gizmo-xl"};
  static constexpr std::array<const char*, 3> regions{"eu", "us", "ap"};
  return order{make_uuid(),
               products[i % products.size()],
               static_cast<int32_t>(i % 10 + 1),
               regions[i % regions.size()],
               "customer-" + std::to_string(i % 1000),
               i % 10 == 0,
               now()};
}

}  // namespace

double journal_store_rate(order_store& store, std::size_t n, std::size_t per_commit) {
  if (per_commit == 0)
    throw std::invalid_argument("journal_store_rate: per_commit == 0");
  if (n == 0)
    return 0;
  using os = order_state;
  static const std::array<std::tuple<order_state, stage_id>, 5> later{
    {{os::validated, stage_id::validator},
     {os::processing, stage_id::processor},
     {os::processed, stage_id::processor},
     {os::shipping, stage_id::shipper},
     {os::completed, stage_id::shipper}}};
  journal_batch batch;
  std::vector<std::pair<int64_t, std::string>> previous;
  auto start = std::chrono::steady_clock::now();
  for (size_t made = 0; made < n || !previous.empty();) {
    batch.clear();
    for (auto stop = std::min(n, made + per_commit); made < stop; ++made)
      batch.new_orders.push_back(make_order(made));
    for (auto& [seq, id] : previous)
      for (int32_t n = 0; n < static_cast<int32_t>(later.size()); ++n) {
        auto [state, stage] = later[static_cast<size_t>(n)];
        batch.changes.push_back(state_change{
          seq, n + 1,
          order_event{id, state, stage,
                      state == os::completed ? "tracking TRK-" + id : std::string{}, now()}});
      }
    auto seqs = store.commit(batch);
    if (!seqs)
      throw std::runtime_error(describe(seqs.error()));
    previous.clear();
    for (size_t i = 0; i < seqs->size(); ++i)
      previous.emplace_back((*seqs)[i], batch.new_orders[i].id);
  }
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto done = store.finished_totals();
  if (!done || done->all.completed != n)
    throw std::runtime_error("journal_store_rate: the store finished "
                             + (done ? std::to_string(done->all.completed) : describe(done.error()))
                             + " of " + std::to_string(n) + " orders");
  return static_cast<double>(n) / seconds;
}

double journal_store_rate(const sqlite_options& options, std::size_t n, std::size_t per_commit) {
  if (per_commit == 0)
    throw std::invalid_argument("journal_store_rate: per_commit == 0");
  if (n == 0)
    return 0;
  database_files_guard guard{options.path};
  auto store = open_sqlite_store(options);
  if (!store)
    throw std::runtime_error(describe(store.error()));
  return journal_store_rate(**store, n, per_commit);
}

}  // namespace ordernode::bench
