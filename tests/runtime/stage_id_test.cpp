// Stage and error-type names: one table each, read back exactly.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/core/refusal.hpp"
#include "runtime/core/stage_id.hpp"

using namespace ordernode;

TEST_CASE("every stage and error type reads back from its name") {
  for (auto i = 0; i <= static_cast<int>(last_stage_id); ++i) {
    auto x = static_cast<stage_id>(i);
    CAPTURE(to_string(x));
    CHECK(parse_stage_id(to_string(x)) == x);
  }
  for (auto i = 0; i <= static_cast<int>(error_type::resolved); ++i) {
    auto x = static_cast<error_type>(i);
    CAPTURE(to_string(x));
    CHECK(parse_error_type(to_string(x)) == x);
  }
  CHECK(to_string(stage_id::error_channel) == "error_channel");
  CHECK(to_string(error_type::dead_letter) == "dead_letter");
  CHECK_FALSE(parse_stage_id("recovery"));
  CHECK_FALSE(parse_error_type("Validation"));
}

TEST_CASE("refusals have stable names") {
  CHECK(to_string(refusal::overloaded) == "overloaded");
  CHECK(to_string(refusal::journal_unavailable) == "journal_unavailable");
  CHECK(to_string(refusal::conflict) == "conflict");
}
