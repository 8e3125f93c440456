// Test support: one-value and one-column SQLite queries.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

namespace ordernode::test {

inline int64_t query_int(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  if (!q.executeStep())
    throw std::runtime_error("no row: " + sql);
  return q.getColumn(0).getInt64();
}

inline std::vector<std::string> query_strings(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  std::vector<std::string> result;
  while (q.executeStep())
    result.push_back(q.getColumn(0).getString());
  return result;
}

}  // namespace ordernode::test
