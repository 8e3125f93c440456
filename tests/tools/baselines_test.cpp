#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "tools/bench/baselines.hpp"

namespace fs = std::filesystem;

TEST_CASE("caf_one_way_rate returns a positive finite rate") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  for (std::size_t n : {1, 1000, 20000}) {
    auto rate = ordernode::bench::caf_one_way_rate(sys, n);
    CHECK(std::isfinite(rate));
    CHECK(rate > 0);
  }
  CHECK(ordernode::bench::caf_one_way_rate(sys, 0) == 0);
}

TEST_CASE(
  "sqlite_batched_insert_rate returns a positive finite rate and "
  "removes its files") {
  auto path =
    (fs::temp_directory_path() / ("ordernode_baselines_test_" + std::to_string(::getpid()) + ".db"))
      .string();
  auto rate =
    ordernode::bench::sqlite_batched_insert_rate(ordernode::sqlite_options{path}, 2500, 1000);
  CHECK(std::isfinite(rate));
  CHECK(rate > 0);
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(path + "-wal"));
  CHECK_FALSE(fs::exists(path + "-shm"));
  CHECK_THROWS_AS(
    ordernode::bench::sqlite_batched_insert_rate(ordernode::sqlite_options{path}, 10, 0),
    std::invalid_argument);
}

TEST_CASE("peak_rss_bytes is plausible") {
  auto rss = ordernode::bench::peak_rss_bytes();
  CHECK(rss > 1024 * 1024);
  CHECK(rss < std::size_t{1} << 40);
}
