#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <set>
#include <utility>
#include <vector>

#include "runtime/core/order_state.hpp"

using namespace ordernode;

namespace {

using s = order_state;

const std::vector<order_state> all_states{s::received,  s::validated, s::processing,
                                          s::processed, s::shipping,  s::completed,
                                          s::rejected,  s::failed,    s::dead_letter};

const std::set<std::pair<order_state, order_state>> legal_moves{
  {s::received, s::validated},    {s::received, s::rejected},      {s::received, s::failed},
  {s::received, s::dead_letter},  {s::validated, s::processing},   {s::validated, s::failed},
  {s::validated, s::dead_letter}, {s::processing, s::processing},  {s::processing, s::processed},
  {s::processing, s::failed},     {s::processing, s::dead_letter}, {s::processed, s::shipping},
  {s::processed, s::completed},   {s::processed, s::failed},       {s::processed, s::dead_letter},
  {s::shipping, s::shipping},     {s::shipping, s::completed},     {s::shipping, s::failed},
  {s::shipping, s::dead_letter},  {s::dead_letter, s::received},
};

}  // namespace

TEST_CASE("every pair of states is legal exactly when the life cycle allows it") {
  for (auto from : all_states) {
    for (auto to : all_states) {
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      CHECK(is_legal(from, to) == (legal_moves.count({from, to}) == 1));
    }
  }
}

TEST_CASE("the happy path is legal step by step and cannot skip a step") {
  CHECK(is_legal(s::received, s::validated));
  CHECK(is_legal(s::validated, s::processing));
  CHECK(is_legal(s::processing, s::processed));
  CHECK(is_legal(s::processed, s::shipping));
  CHECK(is_legal(s::shipping, s::completed));
  CHECK_FALSE(is_legal(s::received, s::processing));
  CHECK_FALSE(is_legal(s::received, s::completed));
  CHECK_FALSE(is_legal(s::validated, s::processed));
  CHECK_FALSE(is_legal(s::processing, s::shipping));
  CHECK_FALSE(is_legal(s::processing, s::completed));
}

TEST_CASE("no state moves backwards except a replayed dead letter") {
  CHECK_FALSE(is_legal(s::validated, s::received));
  CHECK_FALSE(is_legal(s::processed, s::processing));
  CHECK_FALSE(is_legal(s::shipping, s::processed));
  CHECK_FALSE(is_legal(s::completed, s::shipping));
  CHECK(is_legal(s::dead_letter, s::received));
  CHECK_FALSE(is_legal(s::dead_letter, s::validated));
}

TEST_CASE("only validation rejects an order") {
  for (auto from : all_states)
    CHECK(is_legal(from, s::rejected) == (from == s::received));
}

TEST_CASE("completed, rejected, failed and dead_letter are final and never move on") {
  const std::set<order_state> finals{s::completed, s::rejected, s::failed, s::dead_letter};
  for (auto x : all_states) {
    CAPTURE(to_string(x));
    CHECK(is_final(x) == (finals.count(x) == 1));
  }
  for (auto from : {s::completed, s::rejected, s::failed}) {
    for (auto to : all_states) {
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      CHECK_FALSE(is_legal(from, to));
    }
  }
}

TEST_CASE("to_string and parse_order_state round trip") {
  const std::vector<std::string> names{"received",  "validated", "processing",
                                       "processed", "shipping",  "completed",
                                       "rejected",  "failed",    "dead_letter"};
  REQUIRE(names.size() == all_states.size());
  for (size_t i = 0; i < names.size(); ++i) {
    CHECK(to_string(all_states[i]) == names[i]);
    CHECK(state_name(all_states[i]) == names[i]);
    auto parsed = parse_order_state(names[i]);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == all_states[i]);
  }
}

TEST_CASE("parse_order_state refuses unknown names") {
  for (auto name : {"", "Completed", "complete", "dead-letter", " received", "received "})
    CHECK_FALSE(parse_order_state(name).has_value());
}
