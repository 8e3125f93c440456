// Time-ordered ids: version 7 layout, the time they carry, and strict order within one process.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/core/random.hpp"

using namespace ordernode;

namespace {

uint64_t millis_of(const std::string& id) {
  return std::stoull(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
}

uint64_t unix_ms_now() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
}

}  // namespace

TEST_CASE("an id is a version 7 UUID carrying the time it was made") {
  auto before = unix_ms_now();
  auto id = make_uuid();
  auto after = unix_ms_now();
  REQUIRE(id.size() == 36);
  CHECK(id[8] == '-');
  CHECK(id[13] == '-');
  CHECK(id[14] == '7');
  CHECK(std::string{"89ab"}.find(id[19]) != std::string::npos);
  CHECK(millis_of(id) >= before);
  CHECK(millis_of(id) <= after + 1);
}

TEST_CASE("ids sort in the order they were made, even many within one millisecond") {
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i)
    ids.push_back(make_uuid());
  for (size_t i = 1; i < ids.size(); ++i) {
    CAPTURE(ids[i - 1]);
    CAPTURE(ids[i]);
    REQUIRE(ids[i - 1] < ids[i]);
  }
}

TEST_CASE("a clock that steps back does not break the order") {
  auto t = unix_ms_now() + 60000;
  auto a = make_uuid_at(t);
  auto b = make_uuid_at(t - 5000);
  auto c = make_uuid();
  CHECK(a < b);
  CHECK(b < c);
  CHECK(millis_of(b) == t);
}

TEST_CASE("threads making ids at once get distinct ones") {
  std::vector<std::vector<std::string>> made(4);
  std::vector<std::thread> threads;
  for (auto& xs : made)
    threads.emplace_back([&xs] {
      for (int i = 0; i < 5000; ++i)
        xs.push_back(make_uuid());
    });
  for (auto& t : threads)
    t.join();
  std::set<std::string> all;
  for (auto& xs : made) {
    for (size_t i = 1; i < xs.size(); ++i)
      CHECK(xs[i - 1] < xs[i]);
    all.insert(xs.begin(), xs.end());
  }
  CHECK(all.size() == 20000);
}
