#include "runtime/admin/admin_guard.hpp"

#include <algorithm>

namespace ordernode {

bool same_token(const std::string& given, const std::string& expected) {
  if (expected.empty())
    return false;
  // Every byte of `given` is compared, whatever differs first.
  volatile unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i)
    diff = diff | static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  return diff == 0;
}

void log_budget::roll(clock::time_point now) {
  if (now - period_start_ >= interval_) {
    period_start_ = now;
    taken_ = 0;
  }
}

bool log_budget::take(clock::time_point now) {
  roll(now);
  if (taken_ < burst_) {
    ++taken_;
    return true;
  }
  ++suppressed_;
  return false;
}

uint64_t log_budget::summary_due(clock::time_point now) {
  if (suppressed_ == 0 || now - last_summary_ < interval_)
    return 0;
  auto result = suppressed_;
  suppressed_ = 0;
  last_summary_ = now;
  return result;
}

admin_guard::admin_guard(std::string token, admin_guard_options options)
    : token_(std::move(token)), options_(options), first_lines_(5, options.log_interval) {
  // nop
}

admin_guard::peer_state& admin_guard::peer(const std::string& name, clock::time_point now) {
  auto i = peers_.find(name);
  if (i == peers_.end()) {
    if (peers_.size() >= options_.max_peers) {
      auto oldest = std::min_element(peers_.begin(), peers_.end(), [](auto& x, auto& y) {
        return x.second.last_seen < y.second.last_seen;
      });
      peers_.erase(oldest);
    }
    i = peers_.emplace(name, peer_state{}).first;
  }
  i->second.last_seen = now;
  return i->second;
}

admin_guard::decision admin_guard::check(const std::string& name, const std::string& token,
                                         clock::time_point now) {
  if (last_summary_ == clock::time_point{})
    last_summary_ = now;
  while (!recent_failures_.empty() && recent_failures_.front() <= now - options_.window)
    recent_failures_.pop_front();
  decision result;
  auto& p = peer(name, now);
  if (p.blocked_until > now) {
    ++unlogged_unchecked_;
    result.what = verdict::peer_blocked;
    return result;
  }
  if (recent_failures_.size() >= static_cast<size_t>(options_.node_max_failures)) {
    ++unlogged_unchecked_;
    result.what = verdict::node_capped;
    return result;
  }
  if (same_token(token, token_)) {
    peers_.erase(name);
    return result;
  }
  result.what = verdict::wrong_token;
  recent_failures_.push_back(now);
  ++p.failures;
  result.log = p.failures == 1 && first_lines_.take(now);
  if (!result.log)
    ++unlogged_;
  if (p.failures >= options_.max_failures) {
    p.blocked_until = now + options_.block_time;
    result.blocks_peer = true;
  } else if (p.failures > options_.free_failures) {
    auto delay = options_.first_delay;
    for (int i = options_.free_failures + 1; i < p.failures && delay < options_.max_delay; ++i)
      delay *= 2;
    result.delay = std::min(delay, options_.max_delay);
  }
  return result;
}

std::optional<std::string> admin_guard::summary(clock::time_point now) {
  if (unlogged_ + unlogged_unchecked_ == 0 || now - last_summary_ < options_.log_interval)
    return std::nullopt;
  auto blocked = std::count_if(peers_.begin(), peers_.end(),
                               [&](auto& x) { return x.second.blocked_until > now; });
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - last_summary_).count();
  auto text = "admin: " + std::to_string(unlogged_) + " more wrong tokens and "
              + std::to_string(unlogged_unchecked_)
              + " commands refused unchecked (blocked peers, or too many wrong tokens on this "
                "node) in the last "
              + std::to_string(seconds) + " s; " + std::to_string(blocked) + " peers blocked";
  unlogged_ = 0;
  unlogged_unchecked_ = 0;
  last_summary_ = now;
  return text;
}

}  // namespace ordernode
