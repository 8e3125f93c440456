// Test support: a read-only view of a node's journal on either engine (states, ids, counts).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include "runtime/core/errors.hpp"
#include "runtime/store/sql_connection.hpp"

namespace ordernode::test {

// The journal's orders that are not in a final state.
inline const std::string unfinished =
  "state NOT IN ('completed', 'failed', 'rejected', 'dead_letter')";

// Reads a journal that a running node may be writing to: an SQLite reader waits up to 5 s for
// its locks.
struct journal_view {
  explicit journal_view(const std::filesystem::path& path)
      : journal_view(journal_location::sqlite_file(path.string())) {}

  explicit journal_view(const journal_location& where) {
    auto opened = open_sql_connection(where);
    if (!opened)
      throw std::runtime_error(describe(opened.error()));
    db = std::move(*opened);
  }

  std::map<std::string, int64_t> state_counts() {
    std::map<std::string, int64_t> result;
    auto q = db->query("SELECT state, COUNT(*) FROM orders GROUP BY state");
    while (q->next())
      result[q->text(0)] = q->int64(1);
    return result;
  }

  std::set<std::string> ids(const std::string& where = "1 = 1") {
    std::set<std::string> result;
    auto q = db->query("SELECT id FROM orders WHERE " + where);
    while (q->next())
      result.insert(q->text(0));
    return result;
  }

  // How many orders match `where`.
  int64_t orders(const std::string& where = "1 = 1") {
    return count("SELECT COUNT(*) FROM orders WHERE " + where);
  }

  int64_t count(const std::string& sql) {
    return db->value(sql);
  }

  std::unique_ptr<sql_connection> db;
};

}  // namespace ordernode::test
