#include "runtime/core/option_table.hpp"

#include <cstring>
#include <sstream>

#include <caf/make_config_option.hpp>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

caf::string_view view(const char* x) {
  return {x, std::strlen(x)};
}

std::string number(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

template <class T>
std::function<void(caf::config_option_set&, const char*)> declare_of(T& x, const char* name,
                                                                     const char* help) {
  return [&x, name, help](caf::config_option_set& set, const char* group) {
    set.add(caf::make_config_option(x, view(group), view(name), view(help)));
  };
}

// A text or a list that `rule` may ask to hold something.
template <class T>
std::function<std::string()> not_empty_if(const T& x, text_rule rule) {
  return [&x, rule] {
    return rule == text_rule::not_empty && x.empty() ? std::string{"must not be empty"}
                                                     : std::string{};
  };
}

}  // namespace

std::string range_text(double lo, double hi, double value) {
  return "must be between " + number(lo) + " and " + number(hi) + ", got " + number(value);
}

option_table& option_table::add(bool& x, const char* name, const char* help) {
  entries_.push_back({name, declare_of(x, name, help), [] {
                        return std::string{};
                      }});
  return *this;
}

option_table& option_table::add(int32_t& x, const char* name, const char* help, int64_t lo,
                                int64_t hi) {
  entries_.push_back({name, declare_of(x, name, help), [&x, lo, hi] {
                        return x < lo || x > hi
                                 ? range_text(static_cast<double>(lo), static_cast<double>(hi), x)
                                 : std::string{};
                      }});
  return *this;
}

option_table& option_table::add(int64_t& x, const char* name, const char* help, int64_t lo,
                                int64_t hi) {
  entries_.push_back({name, declare_of(x, name, help), [&x, lo, hi] {
                        return x < lo || x > hi
                                 ? range_text(static_cast<double>(lo), static_cast<double>(hi),
                                              static_cast<double>(x))
                                 : std::string{};
                      }});
  return *this;
}

option_table& option_table::add(double& x, const char* name, const char* help, double lo,
                                double hi) {
  entries_.push_back({name, declare_of(x, name, help), [&x, lo, hi] {
                        return !(x >= lo && x <= hi) ? range_text(lo, hi, x) : std::string{};
                      }});
  return *this;
}

option_table& option_table::add(caf::timespan& x, const char* name, const char* help,
                                span_rule rule) {
  entries_.push_back({name, declare_of(x, name, help), [&x, rule] {
                        if (rule == span_rule::positive && x.count() <= 0)
                          return std::string{"must be a positive duration"};
                        if (rule == span_rule::not_negative && x.count() < 0)
                          return std::string{"must not be negative"};
                        return std::string{};
                      }});
  return *this;
}

option_table& option_table::add(std::string& x, const char* name, const char* help,
                                text_rule rule) {
  entries_.push_back({name, declare_of(x, name, help), not_empty_if(x, rule)});
  return *this;
}

option_table& option_table::add(std::vector<std::string>& x, const char* name, const char* help,
                                text_rule rule) {
  entries_.push_back({name, declare_of(x, name, help), not_empty_if(x, rule)});
  return *this;
}

option_table& option_table::add_choice(std::shared_ptr<std::string> text, const char* name,
                                       const char* help, std::vector<std::string> choices,
                                       std::function<void(size_t)> set) {
  auto declare = [text, name, help](caf::config_option_set& options, const char* group) {
    options.add(caf::make_config_option(*text, view(group), view(name), view(help)));
  };
  auto why_not = [text, choices = std::move(choices), set = std::move(set)] {
    for (size_t i = 0; i < choices.size(); ++i)
      if (choices[i] == *text) {
        set(i);
        return std::string{};
      }
    std::string names;
    for (auto& choice : choices)
      names += (names.empty() ? "\"" : ", \"") + choice + "\"";
    return "must be one of " + names + "; got \"" + *text + "\"";
  };
  entries_.push_back({name, std::move(declare), std::move(why_not)});
  return *this;
}

option_table& option_table::rule(const char* name, std::function<std::string()> why_not) {
  rules_.push_back({name, {}, std::move(why_not)});
  return *this;
}

void option_table::declare(caf::config_option_set& set) const {
  for (auto& x : entries_)
    x.declare(set, group_);
}

caf::error option_table::apply() const {
  for (auto* xs : {&entries_, &rules_})
    for (auto& x : *xs)
      if (auto why = x.why_not(); !why.empty())
        return make_error(errc::bad_config, std::string{group_} + "." + x.name + ": " + why);
  return caf::none;
}

}  // namespace ordernode
