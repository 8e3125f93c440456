// Test support: a read-only view of a node's SQLite journal (states, ids, counts).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

namespace ordernode::test {

// The journal's orders that are not in a final state.
inline const std::string unfinished =
  "state NOT IN ('completed', 'failed', 'rejected', 'dead_letter')";

// Reads a journal that a running node may be writing to: waits up to 5 s for its locks.
struct journal_view {
  explicit journal_view(const std::filesystem::path& path)
      : db{path.string(), SQLite::OPEN_READONLY, 5000} {}

  std::map<std::string, int64_t> state_counts() {
    std::map<std::string, int64_t> result;
    SQLite::Statement q{db, "SELECT state, COUNT(*) FROM orders GROUP BY state"};
    while (q.executeStep())
      result[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    return result;
  }

  std::set<std::string> ids(const std::string& where = "1") {
    std::set<std::string> result;
    SQLite::Statement q{db, "SELECT id FROM orders WHERE " + where};
    while (q.executeStep())
      result.insert(q.getColumn(0).getString());
    return result;
  }

  // How many orders match `where`.
  int64_t orders(const std::string& where = "1") {
    return count("SELECT COUNT(*) FROM orders WHERE " + where);
  }

  int64_t count(const std::string& sql) {
    return db.execAndGet(sql).getInt64();
  }

  SQLite::Database db;
};

}  // namespace ordernode::test
