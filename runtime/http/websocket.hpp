// The live feed: WebSocket sessions on /ws and the hub that fans committed changes out to them,
// each client with a bounded queue (a slow client skips ahead, it never grows the node).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "runtime/core/messages.hpp"

namespace ordernode {

// The messages a client has not received yet, at most `limit` bytes of them: a new message
// beyond that pushes out the oldest waiting ones, which the client then skips.
class bounded_queue {
public:
  using message = std::shared_ptr<const std::string>;

  explicit bounded_queue(size_t limit) : limit_(limit) {}

  // Returns how many waiting messages `x` pushed out. The message at the front is never pushed
  // out while `front_busy` (it is being written).
  size_t push(message x, bool front_busy);

  message& front() {
    return items_.front();
  }

  void pop();

  bool empty() const {
    return items_.empty();
  }

  size_t size() const {
    return items_.size();
  }

  size_t bytes() const {
    return bytes_;
  }

private:
  size_t limit_;
  size_t bytes_ = 0;
  std::deque<message> items_;
};

// A place among a bounded number of holders (open connections, WebSocket clients), given back
// when the slot is destroyed. Safe from any thread.
class counted_slot {
public:
  using counter = std::shared_ptr<std::atomic<int64_t>>;

  // A slot of `count`, or nothing when `count` holds `max` already.
  static std::optional<counted_slot> take(const counter& count, int64_t max);

  counted_slot() = default;

  counted_slot(counted_slot&&) noexcept = default;

  counted_slot& operator=(counted_slot&& other) noexcept;

  ~counted_slot() {
    release();
  }

private:
  void release();

  counter count_;
};

class ws_hub;

class ws_session : public std::enable_shared_from_this<ws_session> {
public:
  // The most an inbound message may hold; a bigger one closes the client with status 1009.
  // The page sends nothing big.
  static constexpr size_t inbound_limit = 4096;

  // Holds `connection` (among the server's open connections) and `client` (among its WebSocket
  // clients) while the session lives.
  ws_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ws_hub> hub, size_t limit,
             counted_slot connection, counted_slot client);

  // Completes the upgrade of `req`, then sends a hello and every published batch.
  void run(boost::beast::http::request<boost::beast::http::string_body> req);

  // Queues `x` for this client; safe from any thread.
  void send(bounded_queue::message x);

  // Closes the connection; safe from any thread.
  void close();

private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void do_write();
  void leave();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<ws_hub> hub_;
  bounded_queue queue_;
  counted_slot connection_;
  counted_slot client_;
  bool writing_ = false;
  bool open_ = false;
  bool left_ = false;
};

class ws_hub : public std::enable_shared_from_this<ws_hub> {
public:
  // `watch(true)` runs when the first client joins, `watch(false)` when the last leaves.
  explicit ws_hub(std::function<void(bool)> watch);

  void join(const std::shared_ptr<ws_session>& x);

  void leave(ws_session* x);

  // Serializes `xs` once on the caller's thread and queues it for every client, so that batches
  // reach each client in the order they were published; call it from one thread at a time.
  void publish(std::vector<order_change> xs);

  void close_all();

  size_t clients() const;

  void count_skipped(size_t n) {
    skipped_ += n;
  }

  uint64_t skipped() const {
    return skipped_;
  }

private:
  std::function<void(bool)> watch_;
  mutable std::mutex mtx_;
  std::unordered_map<ws_session*, std::weak_ptr<ws_session>> sessions_;
  std::atomic<uint64_t> skipped_{0};
};

}  // namespace ordernode
