#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "tools/bench/store_ceiling.hpp"

namespace fs = std::filesystem;
using ordernode::bench::journal_store_rate;

TEST_CASE("journal_store_rate completes every order in the real store and removes its files") {
  auto path = (fs::temp_directory_path()
               / ("ordernode_store_ceiling_test_" + std::to_string(::getpid()) + ".db"))
                .string();
  // 2,500 orders in commits of 700: the last commit carries only the last orders' changes.
  for (size_t per_commit : {700, 1, 5000}) {
    CAPTURE(per_commit);
    auto rate = journal_store_rate(ordernode::sqlite_options{path}, 2500, per_commit);
    CHECK(std::isfinite(rate));
    CHECK(rate > 0);
    CHECK_FALSE(fs::exists(path));
    CHECK_FALSE(fs::exists(path + "-wal"));
    CHECK_FALSE(fs::exists(path + "-shm"));
  }
  CHECK(journal_store_rate(ordernode::sqlite_options{path}, 0, 10) == 0);
  CHECK_THROWS_AS(journal_store_rate(ordernode::sqlite_options{path}, 10, 0),
                  std::invalid_argument);
}

TEST_CASE("journal_store_rate reports a store it cannot open") {
  CHECK_THROWS_AS(
    journal_store_rate(ordernode::sqlite_options{"/nonexistent-dir/store.db"}, 10, 10),
    std::runtime_error);
}
