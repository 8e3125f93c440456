// Test support: `ask` for a fixture with a `try_ask`, failing the test when no answer comes.
#pragma once

#include <string>
#include <utility>

#include <doctest/doctest.h>

#include "runtime/core/errors.hpp"

namespace ordernode::test {

// Mixed into a fixture that defines `template <class T, ...> caf::expected<T> try_ask(dest,
// xs...)`.
template <class Fixture>
class asking {
public:
  template <class T, class Dest, class... Ts>
  T ask(const Dest& dest, Ts&&... xs) {
    auto result = static_cast<Fixture*>(this)->template try_ask<T>(dest, std::forward<Ts>(xs)...);
    INFO("request failed: ", result ? std::string{} : describe(result.error()));
    REQUIRE(static_cast<bool>(result));
    return std::move(*result);
  }
};

}  // namespace ordernode::test
