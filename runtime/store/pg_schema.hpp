// The PostgreSQL journal's schema and the statements of a commit.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ordernode {

// The same tables and views as the SQLite journal, in PostgreSQL's types; idempotent. Unique
// keys on failures, errors and the outbox make a retried batch write each row once.
extern const char* const pg_schema;

// The server's clock in UTC nanoseconds: heartbeats and leases are judged by one clock.
extern const char* const pg_clock;

// Serializes schema changes of nodes that start together on one database.
extern const char* const pg_schema_lock;

// The statements of a commit by name, prepared once per connection. Each takes a whole batch's
// column as one array parameter.
const std::vector<std::pair<const char*, std::string>>& pg_commit_statements();

}  // namespace ordernode
