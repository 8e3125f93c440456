// One declaration per option: its key, type, default, range and help give the CAF option, the
// check of its value and the help text, so that no key is spelled twice.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/config_option_set.hpp>
#include <caf/error.hpp>
#include <caf/timespan.hpp>

namespace ordernode {

// What a duration must be.
enum class span_rule : uint8_t { positive, not_negative };

// What a text (or each text of a list) must be.
enum class text_rule : uint8_t { any, not_empty };

class option_table {
public:
  // `group` is a literal: CAF keeps pointers to it.
  explicit option_table(const char* group) : group_(group) {}

  const char* group() const {
    return group_;
  }

  option_table& add(bool& x, const char* name, const char* help);

  option_table& add(int32_t& x, const char* name, const char* help, int64_t lo, int64_t hi);

  option_table& add(int64_t& x, const char* name, const char* help, int64_t lo, int64_t hi);

  option_table& add(double& x, const char* name, const char* help, double lo, double hi);

  option_table& add(caf::timespan& x, const char* name, const char* help, span_rule rule);

  option_table& add(std::string& x, const char* name, const char* help,
                    text_rule rule = text_rule::any);

  // For a list, `not_empty` asks for at least one entry.
  option_table& add(std::vector<std::string>& x, const char* name, const char* help,
                    text_rule rule = text_rule::any);

  // A choice: the config names one of `names`, the program reads the enum of the same index.
  template <class Enum, size_t N>
  option_table& add(Enum& x, const char* name, const char* help,
                    const std::array<const char*, N>& names) {
    std::vector<std::string> choices(names.begin(), names.end());
    auto text = std::make_shared<std::string>(choices[static_cast<size_t>(x)]);
    return add_choice(text, name, help, std::move(choices),
                      [&x](size_t index) { x = static_cast<Enum>(index); });
  }

  // A rule over the values once all are read: `why_not` returns why the value of `name` is
  // wrong, or an empty string.
  option_table& rule(const char* name, std::function<std::string()> why_not);

  // Adds every option to `set` under the group.
  void declare(caf::config_option_set& set) const;

  // Checks every value in the order of declaration, then the rules, and sets the choices; the
  // error names the first offending key ("group.name: ...").
  caf::error apply() const;

private:
  struct entry {
    std::string name;
    std::function<void(caf::config_option_set&, const char*)> declare;
    std::function<std::string()> why_not;  // Empty result: the value is fine.
  };

  option_table& add_choice(std::shared_ptr<std::string> text, const char* name, const char* help,
                           std::vector<std::string> choices, std::function<void(size_t)> set);

  const char* group_;
  std::vector<entry> entries_;
  std::vector<entry> rules_;
};

// "must be between 0 and 1, got 2", with numbers as people write them.
std::string range_text(double lo, double hi, double value);

}  // namespace ordernode
