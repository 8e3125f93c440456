// The admin endpoint's defence against token guessing: a constant-time compare, answers that
// slow down and then a block per peer, a cap for the whole node, and log lines that cannot flood.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace ordernode {

// True if `given` equals `expected`; the time it takes depends on the length of `given` only.
bool same_token(const std::string& given, const std::string& expected);

// At most `burst` lines per `interval`; the lines beyond are counted for a summary.
class log_budget {
public:
  using clock = std::chrono::steady_clock;

  log_budget(size_t burst, clock::duration interval) : burst_(burst), interval_(interval) {}

  // True if the line may be logged now; false counts it as suppressed.
  bool take(clock::time_point now);

  // The lines suppressed since the last summary, once `interval` passed since it; else 0.
  uint64_t summary_due(clock::time_point now);

private:
  void roll(clock::time_point now);

  size_t burst_;
  clock::duration interval_;
  clock::time_point period_start_{};
  size_t taken_ = 0;
  uint64_t suppressed_ = 0;
  clock::time_point last_summary_{};
};

struct admin_guard_options {
  int free_failures = 3;                       // Wrong tokens per peer answered at once.
  int max_failures = 10;                       // The wrong token that blocks the peer.
  std::chrono::milliseconds first_delay{100};  // Doubles with each further wrong token.
  std::chrono::milliseconds max_delay{3200};
  std::chrono::seconds block_time{120};  // A blocked peer is refused unchecked this long.
  // Wrong tokens of all peers within `window`; past it every command is refused unchecked,
  // so that peers with new node ids cannot guess on.
  int node_max_failures = 50;
  std::chrono::seconds window{60};
  size_t max_peers = 4096;                // Peers remembered; the one seen longest ago goes first.
  std::chrono::seconds log_interval{10};  // Of the summary line.
};

// Not thread-safe: the admin front owns it.
class admin_guard {
public:
  using clock = std::chrono::steady_clock;

  enum class verdict {
    accept,
    wrong_token,
    peer_blocked,  // Refused unchecked.
    node_capped,   // Refused unchecked.
  };

  struct decision {
    verdict what = verdict::accept;
    std::chrono::milliseconds delay{0};  // Answer only after this.
    bool blocks_peer = false;            // This wrong token started the peer's block.
    bool log = false;                    // Worth a line of its own (the peer's first).
  };

  explicit admin_guard(std::string token, admin_guard_options options = {});

  // Checks the token of one command from `peer` (its node id).
  decision check(const std::string& peer, const std::string& token, clock::time_point now);

  // One line about the refusals not logged on their own, at most once per log interval.
  std::optional<std::string> summary(clock::time_point now);

  // True while a summary waits for its interval to pass.
  bool summary_pending() const {
    return unlogged_ + unlogged_unchecked_ > 0;
  }

  const admin_guard_options& options() const {
    return options_;
  }

private:
  struct peer_state {
    int failures = 0;
    clock::time_point blocked_until{};
    clock::time_point last_seen{};
  };

  peer_state& peer(const std::string& name, clock::time_point now);

  std::string token_;
  admin_guard_options options_;
  std::map<std::string, peer_state> peers_;
  std::deque<clock::time_point> recent_failures_;  // Of all peers, within the window.
  log_budget first_lines_;
  uint64_t unlogged_ = 0;  // Refusals since the last summary without a line of their own.
  uint64_t unlogged_unchecked_ = 0;
  clock::time_point last_summary_{};
};

}  // namespace ordernode
