#include "runtime/http/websocket.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "runtime/http/json_codec.hpp"
#include "runtime/core/version.hpp"

namespace ordernode {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

std::optional<counted_slot> counted_slot::take(const counter& count, int64_t max) {
  auto n = count->load();
  do {
    if (n >= max)
      return std::nullopt;
  } while (!count->compare_exchange_weak(n, n + 1));
  counted_slot result;
  result.count_ = count;
  return result;
}

counted_slot& counted_slot::operator=(counted_slot&& other) noexcept {
  if (this != &other) {
    release();
    count_ = std::move(other.count_);
  }
  return *this;
}

void counted_slot::release() {
  if (count_) {
    --*count_;
    count_.reset();
  }
}

size_t bounded_queue::push(message x, bool front_busy) {
  bytes_ += x->size();
  items_.push_back(std::move(x));
  size_t dropped = 0;
  auto first = front_busy ? 1u : 0u;
  while (bytes_ > limit_ && items_.size() > first + 1) {
    bytes_ -= items_[first]->size();
    items_.erase(items_.begin() + first);
    ++dropped;
  }
  return dropped;
}

void bounded_queue::pop() {
  bytes_ -= items_.front()->size();
  items_.pop_front();
}

ws_session::ws_session(net::ip::tcp::socket&& socket, std::shared_ptr<ws_hub> hub, size_t limit,
                       counted_slot connection, counted_slot client)
    : ws_(std::move(socket)),
      hub_(std::move(hub)),
      queue_(limit),
      connection_(std::move(connection)),
      client_(std::move(client)) {}

void ws_session::run(beast::http::request<beast::http::string_body> req) {
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.read_message_max(inbound_limit);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(beast::http::field::server, std::string{"ordernode/"} + version);
  }));
  ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, shared_from_this()));
}

void ws_session::on_accept(beast::error_code ec) {
  if (ec)
    return;
  open_ = true;
  hub_->join(shared_from_this());
  queue_.push(std::make_shared<const std::string>(std::string{R"({"type":"hello","version":")"}
                                                  + version + "\"}"),
              writing_);
  do_write();
  do_read();
}

void ws_session::do_read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) {
      self->open_ = false;
      self->leave();
      return;
    }
    self->buffer_.consume(self->buffer_.size());
    self->do_read();
  });
}

void ws_session::send(bounded_queue::message x) {
  net::post(ws_.get_executor(), [self = shared_from_this(), x = std::move(x)]() mutable {
    if (!self->open_)
      return;
    if (auto dropped = self->queue_.push(std::move(x), self->writing_))
      self->hub_->count_skipped(dropped);
    self->do_write();
  });
}

void ws_session::do_write() {
  if (writing_ || queue_.empty() || !open_)
    return;
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(*queue_.front()),
                  [self = shared_from_this()](beast::error_code ec, size_t) {
                    self->writing_ = false;
                    self->queue_.pop();
                    if (ec) {
                      self->open_ = false;
                      self->leave();
                      return;
                    }
                    self->do_write();
                  });
}

void ws_session::close() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (!self->open_)
      return;
    self->open_ = false;
    self->ws_.async_close(websocket::close_code::going_away,
                          [self](beast::error_code) { self->leave(); });
  });
}

void ws_session::leave() {
  if (left_)
    return;
  left_ = true;
  hub_->leave(this);
}

ws_hub::ws_hub(std::function<void(bool)> watch) : watch_(std::move(watch)) {}

void ws_hub::join(const std::shared_ptr<ws_session>& x) {
  bool first = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    first = sessions_.empty();
    sessions_.emplace(x.get(), x);
  }
  if (first && watch_)
    watch_(true);
}

void ws_hub::leave(ws_session* x) {
  bool last = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    last = sessions_.erase(x) > 0 && sessions_.empty();
  }
  if (last && watch_)
    watch_(false);
}

void ws_hub::publish(std::vector<order_change> xs) {
  // Posting the serialization to the io_context instead would let two HTTP threads reorder
  // batches; each session's send keeps the order of the calls.
  std::vector<std::shared_ptr<ws_session>> targets;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto& [ptr, weak] : sessions_)
      if (auto x = weak.lock())
        targets.push_back(std::move(x));
  }
  if (targets.empty())
    return;
  auto msg = std::make_shared<const std::string>(changes_json(xs));
  for (auto& x : targets)
    x->send(msg);
}

void ws_hub::close_all() {
  std::vector<std::shared_ptr<ws_session>> targets;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto& [ptr, weak] : sessions_)
      if (auto x = weak.lock())
        targets.push_back(std::move(x));
  }
  for (auto& x : targets)
    x->close();
}

size_t ws_hub::clients() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return sessions_.size();
}

}  // namespace ordernode
