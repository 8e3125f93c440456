// A read-only connection to the journal on either engine, for the queries written once in the
// SQL both engines speak (`?` marks a parameter). Used by the reader and the report.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/store/journal_location.hpp"

namespace ordernode {

using sql_param = std::variant<int64_t, std::string>;

// The rows of one query, read forward. Failures throw std::runtime_error.
class sql_cursor {
public:
  virtual ~sql_cursor() = default;

  virtual bool next() = 0;

  virtual int64_t int64(int column) = 0;

  virtual std::string text(int column) = 0;
};

class sql_connection {
public:
  virtual ~sql_connection() = default;

  // Runs `sql`; throws std::runtime_error when it fails or passes the connection's deadline.
  virtual std::unique_ptr<sql_cursor> query(const std::string& sql,
                                            const std::vector<sql_param>& params = {}) = 0;

  // An SQL expression of the database's clock, in UTC nanoseconds.
  virtual std::string clock_sql() const = 0;

  // The first column of the first row.
  int64_t value(const std::string& sql, const std::vector<sql_param>& params = {});
};

// Opens a read-only connection; its statements fail once `deadline` passes.
caf::expected<std::unique_ptr<sql_connection>> open_sql_connection(
  const journal_location& where,
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max(),
  int busy_timeout_ms = 5000);

}  // namespace ordernode
