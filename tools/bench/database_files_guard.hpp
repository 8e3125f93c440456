// Removes a SQLite database and its -wal and -shm files when made and again when gone.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

namespace ordernode::bench {

class database_files_guard {
public:
  explicit database_files_guard(std::string path) : path_(std::move(path)) {
    remove();
  }

  ~database_files_guard() {
    remove();
  }

  database_files_guard(const database_files_guard&) = delete;
  database_files_guard& operator=(const database_files_guard&) = delete;

private:
  void remove() const {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_ + suffix, ignored);
  }

  std::string path_;
};

}  // namespace ordernode::bench
