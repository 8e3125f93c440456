// The option table: one declaration gives the CAF option, the check and the choice's enum.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <caf/config_option_set.hpp>
#include <caf/config_value.hpp>

#include "runtime/core/errors.hpp"
#include "runtime/core/option_table.hpp"

using namespace ordernode;

namespace {

enum class color : uint8_t { red, green };

struct sample {
  int32_t count = 3;
  double share = 0.5;
  caf::timespan delay = std::chrono::seconds(1);
  std::string name = "x";
  color tone = color::green;
};

option_table table_of(sample& x) {
  static constexpr std::array<const char*, 2> colors{"red", "green"};
  option_table result{"sample"};
  result.add(x.count, "count", "how many", 1, 10)
    .add(x.share, "share", "a share", 0, 1)
    .add(x.delay, "delay", "a wait", span_rule::positive)
    .add(x.name, "name", "a name", text_rule::not_empty)
    .add(x.tone, "tone", "a color", colors)
    .rule("count", [&x] { return x.count == 7 ? "must not be 7" : std::string{}; });
  return result;
}

std::string why(const option_table& table) {
  auto err = table.apply();
  return err ? describe(err) : std::string{};
}

}  // namespace

TEST_CASE("declared options reach CAF under their group with their defaults") {
  sample x;
  auto table = table_of(x);
  caf::config_option_set set;
  table.declare(set);
  auto* count = set.qualified_name_lookup("sample.count");
  REQUIRE(count != nullptr);
  CHECK(count->description() == "how many");
  REQUIRE(count->get());
  CHECK(caf::to_string(*count->get()) == "3");
  auto* tone = set.qualified_name_lookup("sample.tone");
  REQUIRE(tone != nullptr);
  CHECK(caf::to_string(*tone->get()) == "\"green\"");
  count->store(caf::config_value{int64_t{5}});
  CHECK(x.count == 5);
  CHECK(why(table).empty());
}

TEST_CASE("apply names the key and the rule a value breaks") {
  sample x;
  auto table = table_of(x);
  x.count = 11;
  CHECK(why(table) == "bad_config: sample.count: must be between 1 and 10, got 11");
  x.count = 7;
  CHECK(why(table) == "bad_config: sample.count: must not be 7");
  x.count = 2;
  x.share = 1.5;
  CHECK(why(table).find("sample.share: must be between 0 and 1, got 1.5") != std::string::npos);
  x.share = 0;
  x.delay = caf::timespan{0};
  CHECK(why(table).find("sample.delay: must be a positive duration") != std::string::npos);
  x.delay = std::chrono::seconds(2);
  x.name.clear();
  CHECK(why(table).find("sample.name: must not be empty") != std::string::npos);
}

TEST_CASE("a choice is read as text and set as its enum") {
  sample x;
  auto table = table_of(x);
  caf::config_option_set set;
  table.declare(set);
  auto* tone = set.qualified_name_lookup("sample.tone");
  REQUIRE(tone != nullptr);
  tone->store(caf::config_value{std::string{"red"}});
  CHECK(x.tone == color::green);
  CHECK(why(table).empty());
  CHECK(x.tone == color::red);
  tone->store(caf::config_value{std::string{"blue"}});
  CHECK(why(table) == R"(bad_config: sample.tone: must be one of "red", "green"; got "blue")");
}
