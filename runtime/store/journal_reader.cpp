#include "runtime/store/journal_reader.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

constexpr const char* order_columns =
  "seq, id, product_name, quantity, region, customer, vip, created_at, state, detail, "
  "updated_at, recoveries";

// A state as the journal stores it; the schema admits no other names.
order_state state_of(const SQLite::Column& column) {
  auto name = column.getString();
  auto x = parse_order_state(name);
  if (!x)
    throw std::runtime_error("the journal holds an unknown state \"" + name + "\"");
  return *x;
}

order_record read_order(SQLite::Statement& q) {
  order_record x;
  x.seq = q.getColumn(0).getInt64();
  x.item.id = q.getColumn(1).getString();
  x.item.product_name = q.getColumn(2).getString();
  x.item.quantity = q.getColumn(3).getInt();
  x.item.region = q.getColumn(4).getString();
  x.item.customer = q.getColumn(5).getString();
  x.item.vip = q.getColumn(6).getInt() != 0;
  x.item.created_at = q.getColumn(7).getInt64();
  x.state = state_of(q.getColumn(8));
  x.detail = q.getColumn(9).getString();
  x.updated_at = q.getColumn(10).getInt64();
  x.recoveries = q.getColumn(11).getInt();
  return x;
}

class sqlite_journal_reader : public journal_reader {
public:
  sqlite_journal_reader(const std::string& path, int busy_timeout_ms)
      : db_(path, SQLite::OPEN_READONLY, busy_timeout_ms) {}

  caf::expected<std::optional<order_record>> find(const std::string& id) override {
    try {
      SQLite::Statement q(db_,
                          std::string{"SELECT "} + order_columns + " FROM orders WHERE id = ?");
      q.bind(1, id);
      if (!q.executeStep())
        return std::optional<order_record>{};
      auto result = read_order(q);
      SQLite::Statement h(db_,
                          "SELECT state, stage, detail, at FROM order_events WHERE order_seq = ? "
                          "ORDER BY n");
      h.bind(1, static_cast<int64_t>(result.seq));
      while (h.executeStep())
        result.history.push_back({state_of(h.getColumn(0)), h.getColumn(1).getString(),
                                  h.getColumn(2).getString(), h.getColumn(3).getInt64()});
      return std::optional<order_record>{std::move(result)};
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<std::vector<order_record>> list(const order_filter& filter) override {
    try {
      std::string sql = std::string{"SELECT "} + order_columns + " FROM orders WHERE seq > ?";
      if (filter.state)
        sql += " AND state = ?";
      if (!filter.region.empty())
        sql += " AND region = ?";
      sql += " ORDER BY seq LIMIT ?";
      SQLite::Statement q(db_, sql);
      int arg = 1;
      q.bind(arg++, static_cast<int64_t>(filter.after));
      if (filter.state)
        q.bind(arg++, state_name(*filter.state));
      if (!filter.region.empty())
        q.bind(arg++, filter.region);
      q.bind(arg, static_cast<int64_t>(filter.limit));
      std::vector<order_record> result;
      while (q.executeStep())
        result.push_back(read_order(q));
      return result;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<std::vector<error_record>> errors(size_t limit) override {
    try {
      SQLite::Statement q(db_,
                          "SELECT id, order_id, stage, type, cause, at FROM errors "
                          "ORDER BY id DESC LIMIT ?");
      q.bind(1, static_cast<int64_t>(limit));
      std::vector<error_record> result;
      while (q.executeStep())
        result.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                          q.getColumn(2).getString(), q.getColumn(3).getString(),
                          q.getColumn(4).getString(), q.getColumn(5).getInt64()});
      return result;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<std::vector<std::pair<order_state, uint64_t>>> count_by_state() override {
    try {
      SQLite::Statement q(db_, "SELECT state, COUNT(*) FROM orders GROUP BY state ORDER BY state");
      std::vector<std::pair<order_state, uint64_t>> result;
      while (q.executeStep())
        result.emplace_back(state_of(q.getColumn(0)),
                            static_cast<uint64_t>(q.getColumn(1).getInt64()));
      return result;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

private:
  SQLite::Database db_;
};

}  // namespace

caf::expected<std::unique_ptr<journal_reader>> open_journal_reader(const std::string& path,
                                                                   int busy_timeout_ms) {
  try {
    return std::unique_ptr<journal_reader>{new sqlite_journal_reader(path, busy_timeout_ms)};
  } catch (const std::exception& ex) {
    return make_error(errc::store_failure, std::string{"cannot open "} + path + ": " + ex.what());
  }
}

}  // namespace ordernode
