// Test support: what a test reads from a node's logs and files: order ids, counts, totals.
#pragma once

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace ordernode::test {

inline bool is_uuid(const std::string& x) {
  if (x.size() != 36)
    return false;
  for (size_t i = 0; i < x.size(); ++i) {
    auto dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (x[i] == '-'))
      return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(x[i])))
      return false;
  }
  return true;
}

// The order ids that follow `before` and precede `after` on a line of `text`.
inline std::set<std::string> ids_of(const std::string& text, const std::string& before,
                                    const std::string& after = "") {
  std::set<std::string> result;
  for (auto pos = text.find(before); pos != std::string::npos; pos = text.find(before, pos + 1)) {
    auto id = text.substr(pos + before.size(), 36);
    auto rest = text.substr(pos + before.size() + id.size());
    auto line = rest.substr(0, rest.find('\n'));
    if (is_uuid(id) && line.find(after) != std::string::npos)
      result.insert(id);
  }
  return result;
}

inline size_t count_of(const std::string& text, const std::string& what) {
  size_t result = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1))
    ++result;
  return result;
}

// How often the mock carrier's ledger lists each order id.
inline std::map<std::string, int> ledger_counts(const std::filesystem::path& file) {
  std::map<std::string, int> result;
  std::ifstream in{file};
  std::string id, tracking;
  while (in >> id >> tracking)
    ++result[id];
  return result;
}

// The aggregator's last "Totals:" line in a log.
struct logged_totals {
  long long completed = -1;
  long long quantity = -1;
  long long failed = -1;
  long long rejected = -1;
};

inline std::optional<logged_totals> last_totals(const std::string& log) {
  auto pos = log.rfind("Totals: ");
  logged_totals x;
  if (pos == std::string::npos
      || std::sscanf(log.c_str() + pos,
                     "Totals: %lld orders processed, quantity %lld, %lld failed, %lld rejected",
                     &x.completed, &x.quantity, &x.failed, &x.rejected)
           != 4)
    return std::nullopt;
  return x;
}

}  // namespace ordernode::test
