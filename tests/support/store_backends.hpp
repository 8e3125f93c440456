// Test support: the journal's two backends behind one face, for tests that run on both.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "runtime/core/errors.hpp"
#include "runtime/store/pg_store.hpp"
#include "runtime/store/sqlite_store.hpp"
#include "tests/support/pg_database.hpp"
#include "tests/support/sqlite_queries.hpp"
#include "tests/support/temp_dir.hpp"

namespace ordernode::test {

// A journal in a fresh SQLite file.
struct sqlite_backend {
  static constexpr const char* name = "sqlite";
  static constexpr int schema_version = sqlite_schema_version;

  temp_dir dir;
  std::string path = dir.file("journal.db");

  caf::expected<std::unique_ptr<order_store>> try_open() {
    return open_sqlite_store({path, false, 5000});
  }

  // SQL on a connection of the test's own.
  int64_t sql_int(const std::string& sql) {
    SQLite::Database db{path, SQLite::OPEN_READONLY};
    return query_int(db, sql);
  }

  std::vector<std::string> sql_strings(const std::string& sql) {
    SQLite::Database db{path, SQLite::OPEN_READONLY};
    return query_strings(db, sql);
  }

  void sql(const std::string& sql) {
    SQLite::Database db{path, SQLite::OPEN_READWRITE};
    db.exec(sql);
  }
};

// A journal in a fresh PostgreSQL database.
struct pg_backend {
  static constexpr const char* name = "postgresql";
  static constexpr int schema_version = pg_schema_version;

  pg_database db;

  caf::expected<std::unique_ptr<order_store>> try_open() {
    pg_options options;
    options.url = db.url();
    return open_pg_store(options);
  }

  int64_t sql_int(const std::string& sql) {
    auto rows = pg_connect(db.url())->query(sql);
    if (!rows || rows->size() == 0)
      throw std::runtime_error("no row: " + sql);
    return rows->int64(0, 0);
  }

  std::vector<std::string> sql_strings(const std::string& sql) {
    auto rows = pg_connect(db.url())->query(sql);
    if (!rows)
      throw std::runtime_error(describe(rows.error()) + ": " + sql);
    std::vector<std::string> result;
    for (int i = 0; i < rows->size(); ++i)
      result.push_back(rows->text(i, 0));
    return result;
  }

  void sql(const std::string& sql) {
    if (auto err = pg_connect(db.url())->exec(sql))
      throw std::runtime_error(describe(err) + ": " + sql);
  }
};

// Opens the backend's store or fails the test.
template <class Backend>
std::unique_ptr<order_store> open_store(Backend& backend) {
  auto store = backend.try_open();
  REQUIRE_MESSAGE(store, describe(store.error()));
  return std::move(*store);
}

}  // namespace ordernode::test
