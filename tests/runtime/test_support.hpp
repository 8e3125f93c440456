// Helpers shared by the tests of runtime/: temporary directories, argv arrays, polling, SQLite
// queries and orders.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "runtime/core/messages.hpp"
#include "runtime/core/random.hpp"
#include "tests/temp_dir.hpp"

namespace ordernode::test {

class argv_list {
public:
  explicit argv_list(const std::vector<std::string>& args) : strings_{"ordernode"} {
    strings_.insert(strings_.end(), args.begin(), args.end());
    for (auto& x : strings_)
      pointers_.push_back(x.data());
    pointers_.push_back(nullptr);
  }

  argv_list(const argv_list&) = delete;
  argv_list& operator=(const argv_list&) = delete;

  int argc() const {
    return static_cast<int>(strings_.size());
  }

  char** argv() {
    return pointers_.data();
  }

private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

// Polls `done` every few milliseconds until it returns true or `timeout` passes.
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done())
      return true;
    if (std::chrono::steady_clock::now() >= until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

inline int64_t query_int(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  if (!q.executeStep())
    throw std::runtime_error("no row: " + sql);
  return q.getColumn(0).getInt64();
}

inline std::vector<std::string> query_strings(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  std::vector<std::string> result;
  while (q.executeStep())
    result.push_back(q.getColumn(0).getString());
  return result;
}

inline order make_order(std::string product, int32_t quantity, std::string region,
                        bool vip = false) {
  order x;
  x.id = make_uuid();
  x.product_name = std::move(product);
  x.quantity = quantity;
  x.region = std::move(region);
  x.customer = "alice";
  x.vip = vip;
  x.created_at = now();
  return x;
}

}  // namespace ordernode::test
