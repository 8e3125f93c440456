#include "runtime/store/report_query.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "runtime/core/errors.hpp"
#include "runtime/store/state_sql.hpp"

namespace ordernode {

namespace {

constexpr size_t max_buckets = 60;

// Each finished order with the time it was first received and the time it finished.
std::string timings_sql() {
  return "SELECT o.vip, o.state, r.at, o.updated_at FROM orders o "
         "JOIN (SELECT order_seq, MIN(at) AS at FROM order_events WHERE state = 'received' "
         "GROUP BY order_seq) r ON r.order_seq = o.seq WHERE o.state IN "
         + final_states_sql();
}

// SQLite's progress handler: a non-zero result interrupts the statement.
int past_deadline(void* deadline) {
  return std::chrono::steady_clock::now()
             >= *static_cast<std::chrono::steady_clock::time_point*>(deadline)
           ? 1
           : 0;
}

std::vector<count_row> counts(SQLite::Database& db, const std::string& sql) {
  std::vector<count_row> result;
  SQLite::Statement q(db, sql);
  while (q.executeStep())
    result.push_back(
      {q.getColumn(0).getString(), static_cast<uint64_t>(q.getColumn(1).getInt64())});
  return result;
}

int64_t nice_width(int64_t span) {
  static constexpr int64_t s = 1'000'000'000;
  static constexpr int64_t steps[] = {s / 10, s / 4,  s / 2,   s,       2 * s,    5 * s,   10 * s,
                                      30 * s, 60 * s, 300 * s, 600 * s, 1800 * s, 3600 * s};
  for (auto step : steps)
    if (span / step < static_cast<int64_t>(max_buckets))
      return step;
  auto hours = span / (3600 * s * static_cast<int64_t>(max_buckets)) + 1;
  return hours * 3600 * s;
}

void load_throughput(SQLite::Database& db, report_data& x) {
  if (x.first_received == 0)
    return;
  auto span = std::max<int64_t>(x.last_update - x.first_received, 1);
  x.bucket_width = nice_width(span);
  auto origin = x.first_received - x.first_received % x.bucket_width;
  auto buckets = static_cast<size_t>((x.last_update - origin) / x.bucket_width) + 1;
  x.throughput.resize(buckets);
  for (size_t i = 0; i < buckets; ++i)
    x.throughput[i].start = origin + static_cast<int64_t>(i) * x.bucket_width;
  auto index = [&](int64_t at) {
    auto i = at < origin ? 0 : static_cast<size_t>((at - origin) / x.bucket_width);
    return std::min(i, buckets - 1);
  };
  SQLite::Statement received(db,
                             "SELECT MIN(at) FROM order_events WHERE state = 'received' "
                             "GROUP BY order_seq");
  while (received.executeStep())
    ++x.throughput[index(received.getColumn(0).getInt64())].received;
  SQLite::Statement done(db, "SELECT updated_at FROM orders WHERE state IN " + final_states_sql());
  while (done.executeStep())
    ++x.throughput[index(done.getColumn(0).getInt64())].finished;
}

}  // namespace

caf::expected<report_data> load_report_data(const std::string& path,
                                            std::chrono::steady_clock::time_point deadline) {
  try {
    SQLite::Database db(path, SQLite::OPEN_READONLY, 5000);
    if (deadline != std::chrono::steady_clock::time_point::max())
      sqlite3_progress_handler(db.getHandle(), 1000, past_deadline, &deadline);
    if (past_deadline(&deadline))
      throw std::runtime_error("deadline passed");
    report_data x;
    x.journal_path = path;
    x.generated_at = now();
    x.orders = static_cast<uint64_t>(db.execAndGet("SELECT COUNT(*) FROM orders").getInt64());
    x.by_state = counts(db, "SELECT state, COUNT(*) FROM orders GROUP BY state ORDER BY 2 DESC, 1");
    {
      SQLite::Statement q(db,
                          "SELECT region, COUNT(*), SUM(state = 'completed'), "
                          "SUM(state IN ('failed', 'dead_letter')), SUM(state = 'rejected') "
                          "FROM orders GROUP BY region ORDER BY 2 DESC, 1");
      while (q.executeStep())
        x.by_region.push_back({q.getColumn(0).getString(),
                               static_cast<uint64_t>(q.getColumn(1).getInt64()),
                               static_cast<uint64_t>(q.getColumn(2).getInt64()),
                               static_cast<uint64_t>(q.getColumn(3).getInt64()),
                               static_cast<uint64_t>(q.getColumn(4).getInt64())});
    }
    {
      SQLite::Statement q(db,
                          "SELECT product_name, COUNT(*), SUM(quantity) FROM orders "
                          "GROUP BY product_name ORDER BY 2 DESC, 1 LIMIT 20");
      while (q.executeStep())
        x.by_product.push_back({q.getColumn(0).getString(),
                                static_cast<uint64_t>(q.getColumn(1).getInt64()),
                                q.getColumn(2).getInt64()});
    }
    x.error_types = counts(db,
                           "SELECT stage || ' / ' || type, COUNT(*) FROM errors "
                           "GROUP BY stage, type ORDER BY 2 DESC, 1");
    x.error_causes = counts(db,
                            "SELECT cause, COUNT(*) FROM errors GROUP BY cause "
                            "ORDER BY 2 DESC, 1 LIMIT 10");
    x.failure_causes = counts(db,
                              "SELECT stage || ': ' || cause, COUNT(*) FROM failures "
                              "GROUP BY stage, cause ORDER BY 2 DESC, 1 LIMIT 10");
    x.shipping_attempts = counts(db,
                                 "SELECT attempts, COUNT(*) FROM (SELECT COUNT(*) AS attempts "
                                 "FROM order_events WHERE state = 'shipping' AND stage = 'shipper' "
                                 "GROUP BY order_seq) GROUP BY attempts ORDER BY attempts");
    for (auto& row : x.shipping_attempts)
      x.retries += (std::stoull(row.label) - 1) * row.count;
    {
      std::vector<int64_t> all;
      std::vector<int64_t> vip;
      std::vector<int64_t> normal;
      SQLite::Statement q(db, timings_sql());
      while (q.executeStep()) {
        auto duration = q.getColumn(3).getInt64() - q.getColumn(2).getInt64();
        all.push_back(duration);
        if (q.getColumn(1).getString() == "completed")
          (q.getColumn(0).getInt() != 0 ? vip : normal).push_back(duration);
      }
      x.processing = summarize_latencies(all);
      x.vip = summarize_latencies(vip);
      x.normal = summarize_latencies(normal);
    }
    if (x.orders > 0) {
      x.first_received =
        db.execAndGet("SELECT COALESCE(MIN(at), 0) FROM order_events WHERE state = 'received'")
          .getInt64();
      x.last_update = db.execAndGet("SELECT COALESCE(MAX(at), 0) FROM order_events").getInt64();
      load_throughput(db, x);
    }
    return x;
  } catch (const std::exception& ex) {
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(errc::store_failure,
                        "the report of " + path + " did not finish before its deadline");
    return make_error(errc::store_failure, "cannot read the journal " + path + ": " + ex.what());
  }
}

}  // namespace ordernode
