#include "runtime/store/report_query.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "runtime/core/errors.hpp"
#include "runtime/store/sql_connection.hpp"
#include "runtime/store/state_sql.hpp"

namespace ordernode {

namespace {

constexpr size_t max_buckets = 60;

// Each finished order with the time it was first received and the time it finished.
std::string timings_sql() {
  return "SELECT CASE WHEN o.vip THEN 1 ELSE 0 END, o.state, r.at, o.updated_at FROM orders o "
         "JOIN (SELECT order_seq, MIN(at) AS at FROM order_events WHERE state = 'received' "
         "GROUP BY order_seq) r ON r.order_seq = o.seq WHERE o.state IN "
         + final_states_sql();
}

std::vector<count_row> counts(sql_connection& db, const std::string& sql) {
  std::vector<count_row> result;
  auto q = db.query(sql);
  while (q->next())
    result.push_back({q->text(0), static_cast<uint64_t>(q->int64(1))});
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

void load_throughput(sql_connection& db, report_data& x) {
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
  auto received =
    db.query("SELECT MIN(at) FROM order_events WHERE state = 'received' GROUP BY order_seq");
  while (received->next())
    ++x.throughput[index(received->int64(0))].received;
  auto done = db.query("SELECT updated_at FROM orders WHERE state IN " + final_states_sql());
  while (done->next())
    ++x.throughput[index(done->int64(0))].finished;
}

}  // namespace

caf::expected<report_data> load_report_data(const journal_location& where,
                                            std::chrono::steady_clock::time_point deadline) {
  auto name = where.engine == journal_engine::sqlite ? where.target : to_string(where);
  auto opened = open_sql_connection(where, deadline);
  if (!opened)
    return opened.error();
  auto& db = **opened;
  try {
    report_data x;
    x.journal_path = name;
    x.generated_at = now();
    x.orders = static_cast<uint64_t>(db.value("SELECT COUNT(*) FROM orders"));
    x.by_state = counts(db, "SELECT state, COUNT(*) FROM orders GROUP BY state ORDER BY 2 DESC, 1");
    {
      auto q = db.query(
        "SELECT region, COUNT(*), SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN state IN ('failed', 'dead_letter') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN state = 'rejected' THEN 1 ELSE 0 END) "
        "FROM orders GROUP BY region ORDER BY 2 DESC, 1");
      while (q->next())
        x.by_region.push_back(
          {q->text(0), static_cast<uint64_t>(q->int64(1)), static_cast<uint64_t>(q->int64(2)),
           static_cast<uint64_t>(q->int64(3)), static_cast<uint64_t>(q->int64(4))});
    }
    {
      auto q = db.query(
        "SELECT owner, COUNT(*), SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN state IN ('failed', 'dead_letter') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN state = 'rejected' THEN 1 ELSE 0 END) "
        "FROM orders WHERE owner <> '' GROUP BY owner ORDER BY 1");
      while (q->next())
        x.by_node.push_back({q->text(0), static_cast<uint64_t>(q->int64(1)),
                             static_cast<uint64_t>(q->int64(2)), static_cast<uint64_t>(q->int64(3)),
                             static_cast<uint64_t>(q->int64(4))});
    }
    {
      auto q = db.query(
        "SELECT product_name, COUNT(*), SUM(quantity) FROM orders "
        "GROUP BY product_name ORDER BY 2 DESC, 1 LIMIT 20");
      while (q->next())
        x.by_product.push_back({q->text(0), static_cast<uint64_t>(q->int64(1)), q->int64(2)});
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
    // A completed order records the attempt that shipped it; journals from before schema 4
    // count the shipping events instead.
    x.shipping_attempts =
      counts(db,
             "SELECT attempts, COUNT(*) FROM (SELECT CASE WHEN o.attempt > 0 THEN o.attempt ELSE "
             "(SELECT COUNT(*) FROM order_events e WHERE e.order_seq = o.seq AND "
             "e.state = 'shipping' AND e.stage = 'shipper') END AS attempts FROM orders o "
             "WHERE o.state = 'completed') a WHERE attempts > 0 GROUP BY attempts "
             "ORDER BY attempts");
    for (auto& row : x.shipping_attempts)
      x.retries += (std::stoull(row.label) - 1) * row.count;
    {
      std::vector<int64_t> all;
      std::vector<int64_t> vip;
      std::vector<int64_t> normal;
      auto q = db.query(timings_sql());
      while (q->next()) {
        auto duration = q->int64(3) - q->int64(2);
        all.push_back(duration);
        if (q->text(1) == "completed")
          (q->int64(0) != 0 ? vip : normal).push_back(duration);
      }
      x.processing = summarize_latencies(all);
      x.vip = summarize_latencies(vip);
      x.normal = summarize_latencies(normal);
    }
    if (x.orders > 0) {
      x.first_received =
        db.value("SELECT COALESCE(MIN(at), 0) FROM order_events WHERE state = 'received'");
      x.last_update = db.value("SELECT COALESCE(MAX(at), 0) FROM order_events");
      load_throughput(db, x);
    }
    return x;
  } catch (const std::exception& ex) {
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(errc::store_failure,
                        "the report of " + name + " did not finish before its deadline");
    return make_error(errc::store_failure, "cannot read the journal " + name + ": " + ex.what());
  }
}

}  // namespace ordernode
