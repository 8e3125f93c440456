// Test support: a fresh temporary directory for one test, removed with everything in it.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace ordernode::test {

// A fresh directory under the system's temporary directory, removed with everything in it.
class temp_dir {
public:
  temp_dir() {
    auto pattern = (std::filesystem::temp_directory_path() / "ordernode-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const {
    return path_;
  }

  std::string file(const std::string& name) const {
    return (path_ / name).string();
  }

  // Writes `content` to `name` and returns the file's path.
  std::string write(const std::string& name, const std::string& content) const {
    auto result = file(name);
    std::ofstream out{result, std::ios::binary | std::ios::trunc};
    out << content;
    if (!out)
      throw std::runtime_error("cannot write " + result);
    return result;
  }

private:
  std::filesystem::path path_;
};

}  // namespace ordernode::test
