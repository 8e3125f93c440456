// Test support: polling a condition until it holds or a timeout passes.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

namespace ordernode::test {

// Polls `done` until it returns true (then true) or `timeout` passes (then false). The pause
// between polls starts at 2 ms, for in-process state, and grows to 50 ms, so that slow checks
// (a request to a node, a journal query) do not hammer what they read.
template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto until = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(2);
  for (;;) {
    if (done())
      return true;
    if (std::chrono::steady_clock::now() >= until)
      return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

}  // namespace ordernode::test
