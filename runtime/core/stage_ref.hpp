// A stable reference to a stage whose actor the supervisor may replace: senders always reach
// the current incarnation.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace ordernode {

// Copies share one slot. Each copy caches the handle and re-reads the slot only after the
// supervisor published a new incarnation, so the hot path costs one relaxed atomic load.
// A copy is meant for one actor (its cache is not synchronized); the slot is thread-safe.
template <class Handle>
class stage_ref {
public:
  stage_ref() : slot_(std::make_shared<slot>()) {}

  // Implicit, so that a plain handle serves wherever a stage reference is expected.
  stage_ref(Handle hdl) : stage_ref() {  // NOLINT(google-explicit-constructor)
    set(std::move(hdl));
  }

  // The current incarnation, or an invalid handle before the first `set`.
  const Handle& get() const {
    auto gen = slot_->generation.load(std::memory_order_acquire);
    if (gen != seen_) {
      std::lock_guard<std::mutex> guard{slot_->mtx};
      cached_ = slot_->hdl;
      seen_ = slot_->generation.load(std::memory_order_relaxed);
    }
    return cached_;
  }

  // The current incarnation, read under the slot's lock: safe for a copy shared by threads.
  Handle current() const {
    std::lock_guard<std::mutex> guard{slot_->mtx};
    return slot_->hdl;
  }

  // Publishes a new incarnation to every copy.
  void set(Handle hdl) {
    std::lock_guard<std::mutex> guard{slot_->mtx};
    slot_->hdl = std::move(hdl);
    slot_->generation.fetch_add(1, std::memory_order_release);
  }

  explicit operator bool() const {
    return static_cast<bool>(get());
  }

private:
  struct slot {
    std::mutex mtx;
    Handle hdl;
    std::atomic<uint64_t> generation{0};
  };

  std::shared_ptr<slot> slot_;
  mutable Handle cached_;
  mutable uint64_t seen_ = 0;
};

}  // namespace ordernode
