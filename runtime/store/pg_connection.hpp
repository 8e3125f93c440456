// A libpq connection and its results, with failures as errors: the PostgreSQL stores' one door.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

struct pg_conn;
struct pg_result;

namespace ordernode {

// The rows of one statement's result.
class pg_rows {
public:
  explicit pg_rows(pg_result* x);

  int size() const;

  std::string text(int row, int column) const;

  int64_t int64(int row, int column) const;

  bool boolean(int row, int column) const;

  // Rows an INSERT, UPDATE or DELETE wrote.
  int64_t affected() const;

private:
  std::shared_ptr<pg_result> ptr_;
};

// Array literals for statements that take a whole batch as one parameter ($1::text[], ...).
class pg_array {
public:
  static pg_array of(const std::vector<std::string>& xs) {
    pg_array result;
    for (auto& x : xs)
      result.add(x);
    return result;
  }

  void add(int64_t x);

  void add(bool x);

  void add(const std::string& x);

  bool empty() const {
    return items_.empty();
  }

  std::string str() const {
    return items_.empty() ? "{}" : items_ + "}";
  }

private:
  void next();

  std::string items_;
};

// `url` (a libpq URI) naming the database `dbname` instead of its own.
std::string pg_url_with_database(const std::string& url, const std::string& dbname);

class pg_connection {
public:
  // Connects to `url` (a libpq URI or key=value string), waiting at most `connect_timeout`.
  // Every statement of the connection is cancelled after `statement_timeout`.
  static caf::expected<std::unique_ptr<pg_connection>> open(
    const std::string& url, std::chrono::milliseconds statement_timeout,
    std::chrono::seconds connect_timeout = std::chrono::seconds{5});

  ~pg_connection();

  pg_connection(const pg_connection&) = delete;
  pg_connection& operator=(const pg_connection&) = delete;

  // False once the server went away: every later call fails, reconnect.
  bool alive() const;

  // Runs one or more statements without parameters.
  caf::error exec(const std::string& sql);

  // Runs one statement with text parameters and returns its rows.
  caf::expected<pg_rows> query(const std::string& sql, const std::vector<std::string>& params = {});

  // Prepares `sql` as the named statement `name`.
  caf::error prepare(const std::string& name, const std::string& sql);

  // Pipeline mode: queues prepared statements and sends them all at `sync`, which returns the
  // rows of each, in order, once the server ran them as one transaction. An error in any
  // statement rolls back all of them.
  void send(const std::string& name, const std::vector<std::string>& params);

  caf::expected<std::vector<pg_rows>> sync();

  // Runs `copy_sql` (COPY ... FROM STDIN) with `data`, rows in COPY's text format.
  caf::error copy_in(const std::string& copy_sql, const std::string& data);

  // The process serving this connection on the server.
  int backend_pid() const;

private:
  explicit pg_connection(pg_conn* x);

  caf::error fail(const std::string& what) const;

  // Fails and marks the connection as lost.
  caf::error broken(const std::string& what);

  caf::expected<pg_rows> result_of(pg_result* x, const std::string& what) const;

  caf::error flush();

  pg_conn* conn_;
  size_t queued_ = 0;
  bool send_failed_ = false;
  bool broken_ = false;
};

}  // namespace ordernode
