// Where the journal lives, as journal.url names it: an SQLite file or a PostgreSQL database.
#pragma once

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

namespace ordernode {

enum class journal_engine : uint8_t { sqlite, postgresql };

struct journal_location {
  journal_engine engine = journal_engine::sqlite;
  std::string target;  // The SQLite file's path, or libpq's URI.

  static journal_location sqlite_file(std::string path) {
    return {journal_engine::sqlite, std::move(path)};
  }
};

// "sqlite:PATH", or "postgresql://user[:password]@host:port/dbname[?options]" (also
// "postgres://"): libpq's URI, passed to libpq as it is.
caf::expected<journal_location> parse_journal_url(const std::string& url);

// Why `url` is no journal URL, or an empty string.
std::string why_not_journal_url(const std::string& url);

// The location for messages and logs, without the password.
std::string to_string(const journal_location& x);

}  // namespace ordernode
