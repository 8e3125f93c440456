#include "runtime/http/server.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <caf/actor_system.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "runtime/errors.hpp"
#include "runtime/flow.hpp"
#include "runtime/http/api_handler.hpp"
#include "runtime/http/static_files.hpp"
#include "runtime/http/websocket.hpp"
#include "runtime/version.hpp"

namespace ordernode {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

using clock_type = std::chrono::steady_clock;
using lane_executor = net::io_context::executor_type;
using lane_socket = net::basic_stream_socket<tcp, lane_executor>;

class http_session;

}  // namespace

// One io_context run by one thread. A connection stays on the lane that accepted it, so the
// handlers of a session never run concurrently: no strand, no type-erased executor. Timeouts
// are coarse: a timer per lane sweeps its sessions instead of one timer per request.
struct http_lane {
  explicit http_lane(caf::timespan tick) : timer(ioc.get_executor()), tick(tick) {}

  void sweep();

  net::io_context ioc{1};
  net::basic_waitable_timer<clock_type, net::wait_traits<clock_type>, lane_executor> timer;
  caf::timespan tick;
  std::vector<std::weak_ptr<http_session>> sessions;  // Touched on this lane's thread only.
  std::thread thread;
};

class http_server::impl {
public:
  impl(caf::actor_system& sys, const flow& f, const node_config& cfg, http_hooks hooks)
      : options_(cfg.http),
        lanes_(make_lanes(cfg.http)),
        acceptor_(lanes_.front()->ioc),
        hub_(std::make_shared<ws_hub>([this](bool on) { gateway_->watch_changes(on); })),
        gateway_(std::make_unique<flow_gateway>(
          sys, f.intake, f.aggregator, f.journal,
          [hub = hub_](std::vector<order_change> xs) { hub->publish(std::move(xs)); })) {
    api_context ctx;
    ctx.options = cfg.http;
    ctx.hooks = std::move(hooks);
    ctx.validation = cfg.validation;
    for (auto& [name, ref] : f.dispatchers)
      ctx.regions.emplace(name, ref.current());
    ctx.journal_path = cfg.journal.path;
    ctx.static_dir = cfg.http.static_dir.empty() ? default_static_dir() : cfg.http.static_dir;
    ctx.extra_stats = [hub = hub_] {
      return nlohmann::json{
        {"websocket", {{"clients", hub->clients()}, {"skipped", hub->skipped()}}}};
    };
    api_ = std::make_unique<api_handler>(std::move(ctx), *gateway_);
  }

  caf::error listen() {
    auto colon = options_.bind.rfind(':');
    if (colon == std::string::npos)
      return make_error(errc::bad_config, "http.bind: expected host:port, got " + options_.bind);
    auto host = options_.bind.substr(0, colon);
    if (host.size() > 1 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    auto port_text = options_.bind.substr(colon + 1);
    uint16_t port = 0;
    auto [end, perr] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || perr != std::errc{} || end != port_text.data() + port_text.size())
      return make_error(errc::bad_config, "http.bind: bad port in " + options_.bind);
    beast::error_code ec;
    auto addr = net::ip::make_address(host, ec);
    if (ec)
      return make_error(errc::bad_config, "http.bind: bad address " + host + ": " + ec.message());
    tcp::endpoint ep{addr, port};
    auto fail = [&](const char* what) {
      return make_error(errc::bad_config, "http.bind: cannot " + std::string{what} + " "
                                            + options_.bind + ": " + ec.message());
    };
    if (acceptor_.open(ep.protocol(), ec); ec)
      return fail("open");
    if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec)
      return fail("configure");
    if (acceptor_.bind(ep, ec); ec)
      return fail("bind to");
    if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec)
      return fail("listen on");
    port_ = acceptor_.local_endpoint().port();
    return caf::none;
  }

  void run() {
    do_accept();
    for (auto& lane : lanes_) {
      lane->sweep();
      lane->thread = std::thread([x = lane.get()] { x->ioc.run(); });
    }
  }

  void stop(caf::timespan deadline) {
    if (stopped_)
      return;
    stopped_ = true;
    api_->set_draining();
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    auto until = std::chrono::steady_clock::now() + deadline;
    while (in_flight_ > 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (in_flight_ > 0)
      spdlog::warn("HTTP server stops with {} requests unanswered", in_flight_.load());
    hub_->close_all();
    gateway_->close();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (auto& lane : lanes_)
      lane->ioc.stop();
    for (auto& lane : lanes_)
      if (lane->thread.joinable())
        lane->thread.join();
    spdlog::info("HTTP server stopped");
  }

  ~impl() {
    stop(caf::timespan{0});
  }

  void do_accept();

  // A sweep every tenth of the shorter timeout, between 10 ms and 1 s.
  static std::vector<std::unique_ptr<http_lane>> make_lanes(const http_options& options) {
    auto tick = std::min(options.request_timeout, options.idle_timeout) / 10;
    tick = std::clamp<caf::timespan>(tick, std::chrono::milliseconds(10), std::chrono::seconds(1));
    std::vector<std::unique_ptr<http_lane>> result;
    for (int32_t i = 0; i < std::max(1, options.threads); ++i)
      result.push_back(std::make_unique<http_lane>(tick));
    return result;
  }

  http_options options_;
  std::vector<std::unique_ptr<http_lane>> lanes_;
  size_t next_lane_ = 0;
  tcp::acceptor acceptor_;
  std::shared_ptr<ws_hub> hub_;
  std::unique_ptr<flow_gateway> gateway_;
  std::unique_ptr<api_handler> api_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<bool> stopped_{false};
  uint16_t port_ = 0;
};

namespace {

http::response<http::string_body> to_beast(api_response&& x, unsigned version, bool head) {
  http::response<http::string_body> res{static_cast<http::status>(x.status), version};
  res.set(http::field::server, std::string{"ordernode/"} + ordernode::version);
  res.set(http::field::content_type, x.content_type);
  for (auto& [name, value] : x.headers)
    res.set(name, value);
  if (head) {
    res.content_length(x.body.size());
  } else {
    res.body() = std::move(x.body);
    res.prepare_payload();
  }
  return res;
}

class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(lane_socket&& socket, http_server::impl& srv, http_lane& lane)
      : socket_(std::move(socket)), srv_(srv), lane_(lane) {}

  // Starts reading on the session's lane; call it from anywhere.
  void run() {
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->lane_.sessions.push_back(self);
      self->do_read();
    });
  }

  // Called by the lane's sweep: past its deadline, a waiting request gets a 503 and a
  // connection that neither sent a request nor took its answer is closed.
  void expire(clock_type::time_point now) {
    if (now < deadline_)
      return;
    deadline_ = clock_type::time_point::max();
    if (!answered_)
      return answer(error_response({503, "timeout", "", "the node did not answer in time"}));
    beast::error_code ec;
    socket_.close(ec);
  }

private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(srv_.options_.body_limit));
    parser_->header_limit(16 * 1024);
    deadline_ = clock_type::now() + srv_.options_.idle_timeout;
    http::async_read(socket_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout
        || ec == net::error::operation_aborted || ec == net::error::connection_reset)
      return close();
    if (ec) {
      keep_alive_ = false;
      version_ = 11;
      head_ = false;
      if (ec == http::error::body_limit)
        return answer(error_response(
          {413, "payload_too_large", "",
           "the body is larger than " + std::to_string(srv_.options_.body_limit) + " bytes"}));
      if (ec == http::error::header_limit)
        return answer(error_response({431, "headers_too_large", "", "the headers are too large"}));
      return answer(
        error_response({400, "bad_request", "", "malformed HTTP request: " + ec.message()}));
    }
    auto req = parser_->release();
    if (beast::websocket::is_upgrade(req) && req.target() == "/ws") {
      deadline_ = clock_type::time_point::max();
      auto ws = std::make_shared<ws_session>(tcp::socket{std::move(socket_)}, srv_.hub_,
                                             static_cast<size_t>(srv_.options_.ws_queue_limit));
      ws->run(std::move(req));
      return;
    }
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    head_ = req.method() == http::verb::head;
    auto x = std::make_shared<api_exchange>();
    x->request.method = std::string{req.method_string()};
    x->request.target = std::string{req.target()};
    x->request.content_type = std::string{req[http::field::content_type]};
    if (auto key = req.find("Idempotency-Key"); key != req.end()) {
      x->request.has_idempotency_key = true;
      x->request.idempotency_key = std::string{key->value()};
    }
    x->request.body = std::move(req.body());
    auto gen = ++generation_;
    auto self = shared_from_this();
    x->resume = [self](std::function<void()> f) {
      net::post(self->socket_.get_executor(), std::move(f));
    };
    x->reply = [self, gen](api_response res) {
      if (self->generation_ == gen && !self->answered_)
        self->answer(std::move(res));
    };
    answered_ = false;
    ++srv_.in_flight_;
    counted_ = true;
    srv_.api_->handle(std::move(x));
    // An answer that comes later (from the actors) has a deadline.
    if (!answered_)
      deadline_ = clock_type::now() + srv_.options_.request_timeout;
  }

  void answer(api_response&& res) {
    answered_ = true;
    if (srv_.stopped_)
      keep_alive_ = false;
    res_ = to_beast(std::move(res), version_, head_);
    res_.keep_alive(keep_alive_);
    deadline_ = clock_type::now() + srv_.options_.idle_timeout;
    http::async_write(socket_, res_,
                      beast::bind_front_handler(&http_session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    if (counted_) {
      counted_ = false;
      --srv_.in_flight_;
    }
    if (ec || !keep_alive_)
      return close();
    do_read();
  }

  void close() {
    deadline_ = clock_type::time_point::max();
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }

  lane_socket socket_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  http_server::impl& srv_;
  http_lane& lane_;
  clock_type::time_point deadline_ = clock_type::time_point::max();
  uint64_t generation_ = 0;
  bool answered_ = true;
  bool counted_ = false;
  bool keep_alive_ = false;
  bool head_ = false;
  unsigned version_ = 11;
};

}  // namespace

void http_lane::sweep() {
  auto now = clock_type::now();
  auto gone = std::remove_if(sessions.begin(), sessions.end(), [now](auto& x) {
    auto session = x.lock();
    if (session)
      session->expire(now);
    return !session;
  });
  sessions.erase(gone, sessions.end());
  timer.expires_after(tick);
  timer.async_wait([this](beast::error_code ec) {
    if (!ec)
      sweep();
  });
}

void http_server::impl::do_accept() {
  auto& lane = *lanes_[next_lane_++ % lanes_.size()];
  acceptor_.async_accept(lane.ioc, [this, &lane](beast::error_code ec, lane_socket socket) {
    if (ec) {
      if (ec != net::error::operation_aborted && acceptor_.is_open())
        do_accept();
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<http_session>(std::move(socket), *this, lane)->run();
    do_accept();
  });
}

caf::expected<std::unique_ptr<http_server>> http_server::start(caf::actor_system& sys,
                                                               const flow& f,
                                                               const node_config& cfg,
                                                               http_hooks hooks) {
  auto x = std::make_unique<impl>(sys, f, cfg, std::move(hooks));
  if (auto err = x->listen())
    return err;
  x->run();
  spdlog::info("HTTP server listening on {}:{} ({} threads, page from {})",
               x->acceptor_.local_endpoint().address().to_string(), x->port_, cfg.http.threads,
               cfg.http.static_dir.empty() ? default_static_dir() : cfg.http.static_dir);
  return std::unique_ptr<http_server>{new http_server(std::move(x))};
}

http_server::http_server(std::unique_ptr<impl> x) : impl_(std::move(x)) {}

http_server::~http_server() = default;

uint16_t http_server::port() const {
  return impl_->port_;
}

void http_server::set_ready(bool value) {
  impl_->api_->set_ready(value);
}

void http_server::stop(caf::timespan deadline) {
  impl_->stop(deadline);
}

}  // namespace ordernode
