#include "runtime/store/sql_connection.hpp"

#include <stdexcept>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "runtime/core/errors.hpp"
#include "runtime/store/pg_connection.hpp"
#include "runtime/store/pg_schema.hpp"

namespace ordernode {

namespace {

using clock = std::chrono::steady_clock;

class sqlite_cursor : public sql_cursor {
public:
  sqlite_cursor(SQLite::Database& db, const std::string& sql, const std::vector<sql_param>& params)
      : q_(db, sql) {
    int i = 1;
    for (auto& x : params) {
      if (auto n = std::get_if<int64_t>(&x))
        q_.bind(i++, *n);
      else
        q_.bind(i++, std::get<std::string>(x));
    }
  }

  bool next() override {
    return q_.executeStep();
  }

  int64_t int64(int column) override {
    return q_.getColumn(column).getInt64();
  }

  std::string text(int column) override {
    return q_.getColumn(column).getString();
  }

private:
  SQLite::Statement q_;
};

class sqlite_connection : public sql_connection {
public:
  sqlite_connection(const std::string& path, clock::time_point deadline, int busy_timeout_ms)
      : db_(path, SQLite::OPEN_READONLY, busy_timeout_ms), deadline_(deadline) {
    if (deadline_ != clock::time_point::max())
      sqlite3_progress_handler(db_.getHandle(), 1000, past_deadline, &deadline_);
  }

  std::unique_ptr<sql_cursor> query(const std::string& sql,
                                    const std::vector<sql_param>& params) override {
    if (past_deadline(&deadline_) != 0)
      throw std::runtime_error("deadline passed");
    return std::make_unique<sqlite_cursor>(db_, sql, params);
  }

  std::string clock_sql() const override {
    return "CAST((julianday('now') - 2440587.5) * 86400000000000.0 AS INTEGER)";
  }

private:
  // SQLite's progress handler: a non-zero result interrupts the statement.
  static int past_deadline(void* deadline) {
    return clock::now() >= *static_cast<clock::time_point*>(deadline) ? 1 : 0;
  }

  SQLite::Database db_;
  clock::time_point deadline_;
};

class pg_cursor : public sql_cursor {
public:
  explicit pg_cursor(pg_rows rows) : rows_(std::move(rows)) {}

  bool next() override {
    return ++row_ < rows_.size();
  }

  int64_t int64(int column) override {
    return rows_.int64(row_, column);
  }

  std::string text(int column) override {
    return rows_.text(row_, column);
  }

private:
  pg_rows rows_;
  int row_ = -1;
};

class pg_sql_connection : public sql_connection {
public:
  pg_sql_connection(std::unique_ptr<pg_connection> conn, clock::time_point deadline)
      : conn_(std::move(conn)), deadline_(deadline) {}

  std::unique_ptr<sql_cursor> query(const std::string& sql,
                                    const std::vector<sql_param>& params) override {
    if (clock::now() >= deadline_)
      throw std::runtime_error("deadline passed");
    std::vector<std::string> values;
    for (auto& x : params)
      values.push_back(std::holds_alternative<int64_t>(x) ? std::to_string(std::get<int64_t>(x))
                                                          : std::get<std::string>(x));
    auto rows = conn_->query(numbered(sql), values);
    if (!rows)
      throw std::runtime_error(describe(rows.error()));
    return std::make_unique<pg_cursor>(std::move(*rows));
  }

  std::string clock_sql() const override {
    return pg_clock;
  }

private:
  // PostgreSQL numbers its parameters: `?` becomes $1, $2, ...
  static std::string numbered(const std::string& sql) {
    std::string result;
    int n = 0;
    for (auto c : sql)
      if (c == '?')
        result += "$" + std::to_string(++n);
      else
        result += c;
    return result;
  }

  std::unique_ptr<pg_connection> conn_;
  clock::time_point deadline_;
};

}  // namespace

int64_t sql_connection::value(const std::string& sql, const std::vector<sql_param>& params) {
  auto rows = query(sql, params);
  if (!rows->next())
    throw std::runtime_error("no row: " + sql);
  return rows->int64(0);
}

caf::expected<std::unique_ptr<sql_connection>> open_sql_connection(const journal_location& where,
                                                                   clock::time_point deadline,
                                                                   int busy_timeout_ms) {
  if (where.engine == journal_engine::sqlite) {
    try {
      return std::unique_ptr<sql_connection>{
        new sqlite_connection(where.target, deadline, busy_timeout_ms)};
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure,
                        std::string{"cannot open "} + where.target + ": " + ex.what());
    }
  }
  auto timeout = std::chrono::milliseconds{30000};
  if (deadline != clock::time_point::max())
    timeout =
      std::max(std::chrono::milliseconds{1},
               std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()));
  auto conn = pg_connection::open(where.target, timeout);
  if (!conn)
    return make_error(errc::store_failure,
                      "cannot connect to " + to_string(where) + ": " + describe(conn.error()));
  if (auto err = (*conn)->exec("SET default_transaction_read_only = on"))
    return err;
  return std::unique_ptr<sql_connection>{new pg_sql_connection(std::move(*conn), deadline)};
}

}  // namespace ordernode
