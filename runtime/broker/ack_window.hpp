// The deliveries of one channel that can be acknowledged together with one multiple-ack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <set>

namespace ordernode {

// Delivery tags grow by one per delivery on a channel, and a multiple-ack settles every
// unacknowledged delivery up to its tag. The window holds the tags delivered but not ready yet
// and those ready to acknowledge, and answers the highest ready tag below every one still
// pending: one ack per round instead of one per delivery. It never answers a tag that was
// rejected or acknowledged before, which the broker would refuse as unknown.
class ack_window {
public:
  void delivered(uint64_t tag) {
    pending_.insert(tag);
  }

  // The delivery `tag` may be acknowledged.
  void ready(uint64_t tag) {
    if (pending_.erase(tag) > 0)
      ready_.insert(tag);
  }

  // The delivery `tag` was settled on its own (rejected).
  void dropped(uint64_t tag) {
    pending_.erase(tag);
  }

  // One multiple-ack: its tag (0 when none is ready below the pending ones) and how many
  // deliveries it settles.
  struct ack {
    uint64_t tag = 0;
    size_t deliveries = 0;
  };

  ack take() {
    auto end = pending_.empty() ? ready_.end() : ready_.lower_bound(*pending_.begin());
    if (end == ready_.begin())
      return {};
    ack result{*std::prev(end), static_cast<size_t>(std::distance(ready_.begin(), end))};
    ready_.erase(ready_.begin(), end);
    return result;
  }

  // A new channel starts its tags at 1 again.
  void reset() {
    pending_.clear();
    ready_.clear();
  }

private:
  std::set<uint64_t> pending_;
  std::set<uint64_t> ready_;
};

}  // namespace ordernode
