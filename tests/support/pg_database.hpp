// Test support: a fresh PostgreSQL database for one test, on the server tools/test.sh starts.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "runtime/core/errors.hpp"
#include "runtime/core/random.hpp"
#include "runtime/store/pg_connection.hpp"

namespace ordernode::test {

// The server's URL from ORDERNODE_TEST_POSTGRES_URL; tests that need it fail without it.
inline std::string postgres_url() {
  auto url = std::getenv("ORDERNODE_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0')
    throw std::runtime_error(
      "ORDERNODE_TEST_POSTGRES_URL is not set: run tools/test.sh, which "
      "starts a private PostgreSQL, or start one with tools/services.sh");
  return url;
}

// Connects to `url` or throws.
inline std::unique_ptr<pg_connection> pg_connect(const std::string& url) {
  auto conn = pg_connection::open(url, std::chrono::seconds{60});
  if (!conn)
    throw std::runtime_error("cannot connect to " + url + ": " + describe(conn.error()));
  return std::move(*conn);
}

// A database of its own, dropped with everything in it (and its connections).
class pg_database {
public:
  pg_database() : admin_(pg_connect(postgres_url())) {
    auto id = make_uuid();
    name_ = "t_" + id.substr(0, 8) + id.substr(24);
    check(admin_->exec("CREATE DATABASE " + name_));
    url_ = pg_url_with_database(postgres_url(), name_);
  }

  pg_database(const pg_database&) = delete;
  pg_database& operator=(const pg_database&) = delete;

  ~pg_database() {
    admin_->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }

  const std::string& url() const {
    return url_;
  }

  const std::string& name() const {
    return name_;
  }

private:
  static void check(const caf::error& err) {
    if (err)
      throw std::runtime_error(describe(err));
  }

  std::unique_ptr<pg_connection> admin_;
  std::string name_;
  std::string url_;
};

}  // namespace ordernode::test
