#include "runtime/http/server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
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

#include "runtime/core/errors.hpp"
#include "runtime/http/api_handler.hpp"
#include "runtime/http/static_files.hpp"
#include "runtime/http/websocket.hpp"
#include "runtime/core/version.hpp"

namespace ordernode {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

using clock_type = std::chrono::steady_clock;

std::string static_dir(const http_options& options) {
  return options.static_dir.empty() ? default_static_dir() : options.static_dir;
}
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
  impl(caf::actor_system& sys, http_port port, const http_options& options, http_hooks hooks)
      : options_(options),
        lanes_(make_lanes(options)),
        acceptor_(lanes_.front()->ioc),
        hub_(std::make_shared<ws_hub>([this](bool on) { gateway_->watch_changes(on); })),
        gateway_(std::make_unique<flow_gateway>(
          sys, port.intake, port.aggregator, port.journal,
          [hub = hub_](std::vector<order_change> xs) { hub->publish(std::move(xs)); })) {
    api_context ctx;
    ctx.options = options;
    ctx.hooks = std::move(hooks);
    ctx.rules = port.rules;
    ctx.regions = std::move(port.regions);
    ctx.journal_at = std::move(port.journal_at);
    ctx.journal_failing = std::move(port.journal_failing);
    ctx.cluster = port.cluster;
    if (auto pages = static_files::load(static_dir(options)))
      ctx.pages = std::make_shared<const static_files>(std::move(*pages));
    else if (!options.static_dir.empty())
      pages_error_ = std::move(pages.error());
    else
      spdlog::warn("HTTP server without its page: {}", describe(pages.error()));
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
      accept_timer_.cancel();
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

  void accept_failed(const beast::error_code& ec);

  // After an answer that leaves part of a request unread, the server reads and drops at most
  // this much of what the client still sends, for at most linger_time, before it closes.
  int64_t linger_bytes() const {
    return std::max<int64_t>(16 << 20, 4 * options_.body_limit);
  }

  static constexpr auto linger_time = std::chrono::seconds(2);

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
  // The accept loop's backoff when accepting fails; touched on the acceptor's thread only.
  net::basic_waitable_timer<clock_type, net::wait_traits<clock_type>, lane_executor> accept_timer_{
    lanes_.front()->ioc.get_executor()};
  caf::timespan accept_backoff_{0};  // Zero while accepting works.
  // One warning per episode, and at most one a minute when episodes come and go at the limit.
  std::optional<clock_type::time_point> accept_warned_;
  bool accept_warning_ = false;  // This episode was logged.
  counted_slot::counter connections_ = std::make_shared<std::atomic<int64_t>>(0);
  counted_slot::counter ws_clients_ = std::make_shared<std::atomic<int64_t>>(0);
  std::shared_ptr<ws_hub> hub_;
  std::unique_ptr<flow_gateway> gateway_;
  std::unique_ptr<api_handler> api_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<bool> stopped_{false};
  uint16_t port_ = 0;
  caf::error pages_error_;
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

bool has_header(const api_response& res, beast::string_view name) {
  return std::any_of(res.headers.begin(), res.headers.end(),
                     [&](auto& x) { return beast::iequals(x.first, name); });
}

// A 503 for a connection or an upgrade beyond the server's caps.
api_response overloaded(const std::string& message, int32_t retry_after) {
  auto result = error_response({503, "overloaded", "", message});
  result.headers.emplace_back("Retry-After", std::to_string(retry_after));
  return result;
}

class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(lane_socket&& socket, http_server::impl& srv, http_lane& lane)
      : socket_(std::move(socket)), srv_(srv), lane_(lane) {}

  // Starts reading on the session's lane, holding `slot` among the open connections while the
  // connection lives; call it from anywhere.
  void run(counted_slot slot) {
    slot_ = std::move(slot);
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->lane_.sessions.push_back(self);
      self->do_read();
    });
  }

  // Answers `res` at once, without reading a request, and closes; call it from anywhere.
  void refuse(api_response res) {
    net::dispatch(socket_.get_executor(),
                  [self = shared_from_this(), res = std::move(res)]() mutable {
                    self->lane_.sessions.push_back(self);
                    self->linger_ = true;
                    self->answer(std::move(res));
                  });
  }

  // Called by the lane's sweep: past its deadline, a waiting request gets a 503 and a
  // connection that neither sent a request nor took its answer is closed.
  void expire(clock_type::time_point now) {
    if (now < deadline_)
      return;
    deadline_ = clock_type::time_point::max();
    if (!answered_) {
      auto timed_out = std::move(timed_out_);
      return answer(timed_out
                      ? timed_out()
                      : error_response({503, "timeout", "", "the node did not answer in time"}));
    }
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
      linger_ = true;
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
      auto client = counted_slot::take(srv_.ws_clients_, srv_.options_.ws_max_clients);
      if (!client) {
        keep_alive_ = false;
        linger_ = true;
        version_ = req.version();
        head_ = false;
        return answer(overloaded("too many WebSocket clients", srv_.options_.retry_after));
      }
      deadline_ = clock_type::time_point::max();
      auto ws = std::make_shared<ws_session>(tcp::socket{std::move(socket_)}, srv_.hub_,
                                             static_cast<size_t>(srv_.options_.ws_queue_limit),
                                             std::move(slot_), std::move(*client));
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
    srv_.api_->handle(x);
    timed_out_ = std::move(x->timed_out);
    // An answer that comes later (from the actors) has a deadline.
    if (!answered_)
      deadline_ = clock_type::now() + srv_.options_.request_timeout;
  }

  void answer(api_response&& res) {
    answered_ = true;
    timed_out_ = nullptr;
    if (res.status == 503 && !has_header(res, "Retry-After"))
      res.headers.emplace_back("Retry-After", std::to_string(srv_.options_.retry_after));
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
    if (ec)
      return close();
    if (linger_)
      return linger();
    if (!keep_alive_)
      return close();
    do_read();
  }

  // The answer left part of the request unread, maybe the client is still sending it: closing
  // now would reset the connection and the client, failing to send, might never read the
  // answer. Stops sending, then reads and drops what comes until the client closes, at most
  // linger_bytes and, through the sweep, linger_time.
  void linger() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      socket_.close(ec);
      return;
    }
    deadline_ = clock_type::now() + http_server::impl::linger_time;
    linger_left_ = srv_.linger_bytes();
    buffer_.clear();
    do_discard();
  }

  void do_discard() {
    socket_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->linger_left_ -= static_cast<int64_t>(n);
                              if (ec || self->linger_left_ <= 0) {
                                self->deadline_ = clock_type::time_point::max();
                                self->socket_.close(ec);
                                return;
                              }
                              self->do_discard();
                            });
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
  std::function<api_response()> timed_out_;
  uint64_t generation_ = 0;
  bool answered_ = true;
  bool counted_ = false;
  bool keep_alive_ = false;
  bool head_ = false;
  bool linger_ = false;
  int64_t linger_left_ = 0;
  counted_slot slot_;
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
    if (ec == net::error::operation_aborted || !acceptor_.is_open())
      return;
    if (ec == net::error::connection_aborted)
      return do_accept();
    if (ec)
      return accept_failed(ec);
    if (accept_backoff_ > caf::timespan{0}) {
      accept_backoff_ = caf::timespan{0};
      if (accept_warning_)
        spdlog::info("HTTP server accepts connections again");
      accept_warning_ = false;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<http_session>(std::move(socket), *this, lane);
    if (auto slot = counted_slot::take(connections_, options_.max_connections))
      session->run(std::move(*slot));
    else
      session->refuse(overloaded("too many connections", options_.retry_after));
    do_accept();
  });
}

// The connection that could not be accepted (out of file descriptors: EMFILE, ENFILE) stays in
// the backlog, so accepting again at once fails again at once: wait 10 ms, doubling up to 1 s.
void http_server::impl::accept_failed(const beast::error_code& ec) {
  if (accept_backoff_ == caf::timespan{0}) {
    auto now = clock_type::now();
    if (!accept_warned_ || now - *accept_warned_ >= std::chrono::minutes(1)) {
      spdlog::warn("HTTP server cannot accept connections: {}; retrying with backoff",
                   ec.message());
      accept_warned_ = now;
      accept_warning_ = true;
    }
    accept_backoff_ = std::chrono::milliseconds(10);
  } else {
    accept_backoff_ = std::min<caf::timespan>(2 * accept_backoff_, std::chrono::seconds(1));
  }
  accept_timer_.expires_after(accept_backoff_);
  accept_timer_.async_wait([this](beast::error_code ec) {
    if (!ec && acceptor_.is_open())
      do_accept();
  });
}

uint64_t raise_open_files_limit() {
  rlimit x{};
  if (getrlimit(RLIMIT_NOFILE, &x) != 0)
    return 0;
  auto want = x.rlim_max;
  if (want == RLIM_INFINITY) {
    // The kernel refuses more than fs.nr_open.
    std::ifstream in{"/proc/sys/fs/nr_open"};
    uint64_t nr_open = 0;
    want = in >> nr_open && nr_open > 0 ? nr_open : uint64_t{1} << 20;
  }
  if (x.rlim_cur >= want)
    return x.rlim_cur;
  auto before = x.rlim_cur;
  x.rlim_cur = want;
  if (setrlimit(RLIMIT_NOFILE, &x) != 0) {
    spdlog::warn("cannot raise the limit of open files from {}: {}", before, std::strerror(errno));
    return before;
  }
  spdlog::info("raised the limit of open files from {} to {}", before, want);
  return want;
}

caf::expected<std::unique_ptr<http_server>> http_server::start(caf::actor_system& sys,
                                                               http_port port,
                                                               const http_options& options,
                                                               http_hooks hooks) {
  raise_open_files_limit();
  auto x = std::make_unique<impl>(sys, std::move(port), options, std::move(hooks));
  if (x->pages_error_)
    return std::move(x->pages_error_);
  if (auto err = x->listen())
    return err;
  x->run();
  spdlog::info("HTTP server listening on {}:{} ({} threads, page from {})",
               x->acceptor_.local_endpoint().address().to_string(), x->port_, options.threads,
               static_dir(options));
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
