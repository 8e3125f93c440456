#include "runtime/notify/channel.hpp"

#include <algorithm>
#include <utility>

#include "runtime/core/time_format.hpp"

namespace ordernode {

namespace {

// Subjects are one header line: no line breaks or other control characters.
std::string one_line(std::string x) {
  for (auto& c : x)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = ' ';
  return x;
}

std::string order_of(const error_report& x) {
  return x.order_id.empty() ? std::string{"(none)"} : x.order_id;
}

std::map<std::string, uint64_t> counts_of(const notification& x) {
  if (!x.counts.empty())
    return x.counts;
  std::map<std::string, uint64_t> result;
  for (auto& e : x.errors)
    ++result[to_string(e.type)];
  return result;
}

// Types by descending count, then by name.
std::vector<std::pair<std::string, uint64_t>> ranked(const notification& x) {
  auto counts = counts_of(x);
  std::vector<std::pair<std::string, uint64_t>> result{counts.begin(), counts.end()};
  std::stable_sort(result.begin(), result.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return result;
}

}  // namespace

void notification::add(error_report x, size_t max_listed) {
  ++counts[to_string(x.type)];
  if (errors.size() < max_listed)
    errors.push_back(std::move(x));
}

uint64_t notification::total() const {
  if (counts.empty())
    return errors.size();
  uint64_t result = 0;
  for (auto& [type, n] : counts)
    result += n;
  return result;
}

std::string notification::subject() const {
  auto n = total();
  if (n == 0)
    return "[ordernode] no errors";
  if (n == 1 && errors.size() == 1) {
    auto& e = errors.front();
    if (e.order_id.empty())
      return one_line("[ordernode] " + to_string(e.type) + " error in " + to_string(e.stage));
    return one_line("[ordernode] " + to_string(e.type) + " error, order " + e.order_id + " ("
                    + to_string(e.stage) + ")");
  }
  constexpr size_t max_types = 4;
  auto types = ranked(*this);
  std::string result = "[ordernode] " + std::to_string(n) + " errors: ";
  for (size_t i = 0; i < types.size() && i < max_types; ++i) {
    if (i > 0)
      result += ", ";
    result += std::to_string(types[i].second) + " " + types[i].first;
  }
  if (types.size() > max_types)
    result += ", " + std::to_string(types.size() - max_types) + " more types";
  return one_line(std::move(result));
}

std::string notification::body() const {
  auto n = total();
  std::string result;
  if (n == 1 && errors.size() == 1) {
    auto& e = errors.front();
    result += "Order: " + order_of(e) + "\n";
    result += "Type:  " + to_string(e.type) + "\n";
    result += "Time:  " + iso8601(e.at) + "\n";
    result += "Stage: " + to_string(e.stage) + "\n";
    result += "Cause: " + e.cause + "\n";
    return result;
  }
  result += std::to_string(n) + " errors between " + iso8601(window_start) + " and "
            + iso8601(window_end) + ":\n";
  for (auto& [type, count] : ranked(*this))
    result += "  " + std::to_string(count) + " " + type + "\n";
  if (errors.empty())
    return result;
  result += "\n";
  result += errors.size() < n ? "The first " + std::to_string(errors.size()) + ":\n"
                              : std::string{"All of them:\n"};
  for (auto& e : errors)
    result += "- order " + order_of(e) + ", " + to_string(e.type) + " error at " + iso8601(e.at)
              + " in " + to_string(e.stage) + ": " + e.cause + "\n";
  if (errors.size() < n)
    result += "... and " + std::to_string(n - errors.size()) + " more, not listed.\n";
  return result;
}

}  // namespace ordernode
