#include "runtime/store/journal_reader.hpp"

#include <stdexcept>

#include "runtime/core/errors.hpp"
#include "runtime/store/finished_totals.hpp"
#include "runtime/store/sql_connection.hpp"

namespace ordernode {

namespace {

constexpr const char* order_columns =
  "seq, id, product_name, quantity, region, customer, CASE WHEN vip THEN 1 ELSE 0 END, "
  "created_at, state, detail, updated_at, recoveries, owner";

// A state as the journal stores it; the schema admits no other names.
order_state state_of(const std::string& name) {
  auto x = parse_order_state(name);
  if (!x)
    throw std::runtime_error("the journal holds an unknown state \"" + name + "\"");
  return *x;
}

order_record read_order(sql_cursor& q) {
  order_record x;
  x.seq = q.int64(0);
  x.item.id = q.text(1);
  x.item.product_name = q.text(2);
  x.item.quantity = static_cast<int32_t>(q.int64(3));
  x.item.region = q.text(4);
  x.item.customer = q.text(5);
  x.item.vip = q.int64(6) != 0;
  x.item.created_at = q.int64(7);
  x.state = state_of(q.text(8));
  x.detail = q.text(9);
  x.updated_at = q.int64(10);
  x.recoveries = static_cast<int32_t>(q.int64(11));
  x.owner = q.text(12);
  return x;
}

// The same queries on either engine.
class sql_journal_reader : public journal_reader {
public:
  explicit sql_journal_reader(std::unique_ptr<sql_connection> db) : db_(std::move(db)) {}

  caf::expected<std::optional<order_record>> find(const std::string& id) override {
    try {
      auto q =
        db_->query(std::string{"SELECT "} + order_columns + " FROM orders WHERE id = ?", {id});
      if (!q->next())
        return std::optional<order_record>{};
      auto result = read_order(*q);
      auto h = db_->query(
        "SELECT state, stage, detail, at FROM order_events WHERE order_seq = ? ORDER BY n",
        {result.seq});
      while (h->next())
        result.history.push_back({state_of(h->text(0)), h->text(1), h->text(2), h->int64(3)});
      return std::optional<order_record>{std::move(result)};
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<std::vector<order_record>> list(const order_filter& filter) override {
    try {
      std::string sql = std::string{"SELECT "} + order_columns + " FROM orders WHERE seq > ?";
      std::vector<sql_param> params{filter.after};
      if (filter.state) {
        sql += " AND state = ?";
        params.emplace_back(state_name(*filter.state));
      }
      if (!filter.region.empty()) {
        sql += " AND region = ?";
        params.emplace_back(filter.region);
      }
      sql += " ORDER BY seq LIMIT ?";
      params.emplace_back(static_cast<int64_t>(filter.limit));
      auto q = db_->query(sql, params);
      std::vector<order_record> result;
      while (q->next())
        result.push_back(read_order(*q));
      return result;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<std::vector<error_record>> errors(size_t limit) override {
    try {
      auto q = db_->query(
        "SELECT id, order_id, stage, type, cause, at FROM errors "
        "ORDER BY id DESC LIMIT ?",
        {static_cast<int64_t>(limit)});
      std::vector<error_record> result;
      while (q->next())
        result.push_back(
          {q->int64(0), q->text(1), q->text(2), q->text(3), q->text(4), q->int64(5)});
      return result;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<totals> finished_totals(const std::string& owner) override {
    try {
      std::string sql = owner.empty() ? finished_totals_sql : owned_finished_totals_sql;
      if (auto i = sql.find("$1"); i != std::string::npos)
        sql.replace(i, 2, "?");
      auto q = owner.empty() ? db_->query(sql) : db_->query(sql, {owner});
      totals result;
      while (q->next())
        add_finished_row(result, q->text(0), q->text(1), static_cast<uint64_t>(q->int64(2)),
                         q->int64(3));
      sum_regions(result);
      return result;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<std::vector<node_record>> nodes() override {
    try {
      auto q = db_->query("SELECT id, http, admin, metrics, regions, version, host, pid, "
                          "started_at, heartbeat, "
                          + db_->clock_sql()
                          + " - heartbeat, left_at, in_flight, finished, "
                            "CAST(finished_rate * 1000 AS BIGINT) FROM nodes ORDER BY id");
      std::vector<node_record> result;
      while (q->next()) {
        node_record x;
        x.id = q->text(0);
        x.http = q->text(1);
        x.admin = q->text(2);
        x.metrics = q->text(3);
        x.regions = q->text(4);
        x.version = q->text(5);
        x.host = q->text(6);
        x.pid = q->int64(7);
        x.started_at = q->int64(8);
        x.heartbeat = q->int64(9);
        x.heartbeat_age = q->int64(10);
        x.left = q->int64(11) != 0;
        x.in_flight = q->int64(12);
        x.finished = q->int64(13);
        x.finished_rate = static_cast<double>(q->int64(14)) / 1000;
        result.push_back(std::move(x));
      }
      return result;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<std::vector<std::pair<order_state, uint64_t>>> count_by_state() override {
    try {
      auto q = db_->query("SELECT state, COUNT(*) FROM orders GROUP BY state ORDER BY state");
      std::vector<std::pair<order_state, uint64_t>> result;
      while (q->next())
        result.emplace_back(state_of(q->text(0)), static_cast<uint64_t>(q->int64(1)));
      return result;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

private:
  std::unique_ptr<sql_connection> db_;
};

}  // namespace

caf::expected<std::unique_ptr<journal_reader>> open_journal_reader(const journal_location& where,
                                                                   int busy_timeout_ms) {
  auto db =
    open_sql_connection(where, std::chrono::steady_clock::time_point::max(), busy_timeout_ms);
  if (!db)
    return db.error();
  return std::unique_ptr<journal_reader>{new sql_journal_reader(std::move(*db))};
}

}  // namespace ordernode
