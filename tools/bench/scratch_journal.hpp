// A fresh, empty journal for one benchmark run on the engine the journal options name, gone
// afterwards: an SQLite file (with its -wal and -shm) or a PostgreSQL database made on the
// server that journal.url names.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "actors/journal.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/store/pg_connection.hpp"
#include "tools/bench/database_files_guard.hpp"

namespace ordernode::bench {

class scratch_journal {
public:
  // `name` tells the run apart: "flow" gives bench-flow.db or the database ordernode_bench_flow.
  // Throws std::runtime_error when the PostgreSQL server refuses.
  scratch_journal(journal_options base, const std::string& dir, const std::string& name)
      : options_(std::move(base)) {
    auto where = location_of(options_);
    if (where.engine == journal_engine::sqlite) {
      options_.url.clear();
      options_.path = dir + "/bench-" + name + ".db";
      files_.emplace(options_.path);
      return;
    }
    auto admin = pg_connection::open(where.target, std::chrono::minutes{10});
    if (!admin)
      throw std::runtime_error(describe(admin.error()));
    admin_ = std::move(*admin);
    database_ = "ordernode_bench_" + name;
    drop();
    if (auto err = admin_->exec("CREATE DATABASE " + database_))
      throw std::runtime_error(describe(err));
    options_.url = pg_url_with_database(where.target, database_);
  }

  ~scratch_journal() {
    if (admin_)
      drop();
  }

  scratch_journal(const scratch_journal&) = delete;
  scratch_journal& operator=(const scratch_journal&) = delete;

  const journal_options& options() const {
    return options_;
  }

private:
  void drop() {
    admin_->exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
  }

  journal_options options_;
  std::optional<database_files_guard> files_;
  std::unique_ptr<pg_connection> admin_;
  std::string database_;
};

}  // namespace ordernode::bench
