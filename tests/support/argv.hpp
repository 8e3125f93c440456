// Test support: a command line as `main` receives it; argv[0] is the program name.
#pragma once

#include <string>
#include <vector>

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

}  // namespace ordernode::test
