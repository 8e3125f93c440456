// An order_store in a PostgreSQL database, written through one connection in pipeline mode.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "runtime/store/order_store.hpp"

namespace ordernode {

struct pg_options {
  std::string url;  // libpq's URI: postgresql://user[:password]@host:port/dbname[?options]
  std::chrono::milliseconds statement_timeout{30000};
  std::chrono::seconds connect_timeout{5};
  std::string node;      // Owner of the orders this store records; changes of others are fenced.
  bool cluster = false;  // Several nodes share the database: each resumes only its own orders.
};

// Connects, then creates or migrates the schema; fails when the server refuses the login, the
// database is missing or its schema is newer than this build's.
caf::expected<std::unique_ptr<order_store>> open_pg_store(const pg_options& options);

// The schema version this build writes: the same tables and views as SQLite's version 4; 4 adds
// the orders' owner and epoch and the cluster's `nodes`.
constexpr int pg_schema_version = 4;

}  // namespace ordernode
