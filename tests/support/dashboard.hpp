// Test support: the Grafana dashboard's queries and the metric names they read.
#pragma once

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ordernode::test {

// The metric names a PromQL expression reads: label matchers, ranges, strings, grouping
// clauses, functions, keywords and numbers left out.
inline std::set<std::string> metric_names(const std::string& expr) {
  std::string x = expr;
  char quote = 0;
  int braces = 0;
  int brackets = 0;
  for (auto& c : x) {
    if (quote != 0) {
      if (c == quote)
        quote = 0;
      c = ' ';
    } else if (c == '"' || c == '\'') {
      quote = c;
      c = ' ';
    } else if (c == '{' || c == '[') {
      (c == '{' ? braces : brackets)++;
      c = ' ';
    } else if (c == '}' || c == ']') {
      (c == '}' ? braces : brackets)--;
      c = ' ';
    } else if (braces > 0 || brackets > 0) {
      c = ' ';
    }
  }
  // Aggregations may put their grouping clause before the parenthesis: `sum by (x) (...)`.
  static const std::set<std::string> keywords{
    "and",   "or",     "unless", "offset", "bool",         "sum",     "min",  "max",     "avg",
    "group", "stddev", "stdvar", "count",  "count_values", "bottomk", "topk", "quantile"};
  static const std::set<std::string> grouping{"by",       "without",    "on",
                                              "ignoring", "group_left", "group_right"};
  auto ident_start = [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  };
  auto ident_char = [&](char c) {
    return ident_start(c) || std::isdigit(static_cast<unsigned char>(c));
  };
  std::set<std::string> result;
  size_t i = 0;
  while (i < x.size()) {
    auto c = x[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < x.size() && (ident_char(x[i]) || x[i] == '.'))
        ++i;
      continue;
    }
    if (!ident_start(c)) {
      ++i;
      continue;
    }
    auto begin = i;
    while (i < x.size() && ident_char(x[i]))
      ++i;
    auto word = x.substr(begin, i - begin);
    auto next = x.find_first_not_of(' ', i);
    auto call = next != std::string::npos && x[next] == '(';
    if (grouping.count(word) > 0) {
      if (call)
        i = x.find(')', next) + 1;
      continue;
    }
    if (!call && keywords.count(word) == 0)
      result.insert(word);
  }
  return result;
}

// Every PromQL expression of the dashboard's panels.
inline std::vector<std::string> dashboard_queries(const nlohmann::json& dashboard) {
  std::vector<std::string> result;
  for (auto& panel : dashboard.at("panels"))
    for (auto& target : panel.at("targets"))
      result.push_back(target.at("expr").get<std::string>());
  return result;
}

inline nlohmann::json load_json(const std::filesystem::path& path) {
  std::ifstream in{path};
  return nlohmann::json::parse(in);  // Throws on invalid JSON.
}

}  // namespace ordernode::test
