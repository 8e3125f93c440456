// Test support: a tiny blocking HTTP/1.1 and WebSocket client over Beast, for a running node.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

namespace ordernode::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

struct http_reply {
  unsigned status = 0;  // 0: the server closed the connection without an answer.
  std::map<std::string, std::string> headers;
  std::string body;

  nlohmann::json json() const {
    return nlohmann::json::parse(body, nullptr, false);
  }

  std::string header(const std::string& name) const {
    auto i = headers.find(name);
    return i == headers.end() ? std::string{} : i->second;
  }
};

using header_list = std::vector<std::pair<std::string, std::string>>;

// One keep-alive connection to 127.0.0.1:port; reconnects when the server closed it.
class http_client {
public:
  explicit http_client(uint16_t port) : port_(port), stream_(ioc_) {}

  http_reply request(http::verb method, const std::string& target, const std::string& body = {},
                     const header_list& headers = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (auto& [name, value] : headers)
      req.set(name, value);
    if (!body.empty() || method == http::verb::post) {
      req.body() = body;
      req.prepare_payload();
    }
    req.keep_alive(true);
    for (int attempt = 0; attempt < 2; ++attempt) {
      ensure_connected();
      beast::error_code ec;
      http::write(stream_, req, ec);
      if (!ec) {
        auto reply = read_reply(method == http::verb::head);
        if (reply.status != 0 || attempt == 1)
          return reply;
      }
      disconnect();
    }
    return {};
  }

  http_reply get(const std::string& target) {
    return request(http::verb::get, target);
  }

  http_reply post_json(const std::string& body, const header_list& extra = {}) {
    header_list headers{{"Content-Type", "application/json"}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return request(http::verb::post, "/api/orders", body, headers);
  }

  // Sends `bytes` as they are on a fresh connection and reads one answer.
  http_reply raw(const std::string& bytes) {
    disconnect();
    ensure_connected();
    beast::error_code ec;
    net::write(stream_.socket(), net::buffer(bytes), ec);
    auto reply = read_reply(false);
    disconnect();
    return reply;
  }

  void disconnect() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    connected_ = false;
    buffer_.clear();
  }

private:
  void ensure_connected() {
    if (connected_)
      return;
    stream_.expires_after(std::chrono::seconds(10));
    stream_.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port_});
    connected_ = true;
  }

  http_reply read_reply(bool head) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    parser.body_limit(64 << 20);
    beast::error_code ec;
    stream_.expires_after(std::chrono::seconds(30));
    http::read(stream_, buffer_, parser, ec);
    if (ec) {
      disconnect();
      return {};
    }
    auto res = parser.release();
    http_reply reply;
    reply.status = res.result_int();
    for (auto& field : res)
      reply.headers[std::string{field.name_string()}] = std::string{field.value()};
    reply.body = std::move(res.body());
    if (!res.keep_alive())
      disconnect();
    return reply;
  }

  uint16_t port_;
  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

// A WebSocket client of /ws.
class ws_client {
public:
  // `receive_buffer` > 0 shrinks the socket's receive buffer (a client that reads slowly).
  explicit ws_client(uint16_t port, int receive_buffer = 0) : ws_(ioc_) {
    auto& sock = beast::get_lowest_layer(ws_).socket();
    sock.open(tcp::v4());
    if (receive_buffer > 0)
      sock.set_option(net::socket_base::receive_buffer_size(receive_buffer));
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(ws_).connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
    beast::get_lowest_layer(ws_).expires_never();
    ws_.handshake("127.0.0.1", "/ws");
  }

  // The next message, or nothing when none arrives within `timeout` or the socket closed.
  // After a timeout the connection is closed (Beast's timeouts apply to asynchronous reads).
  std::optional<nlohmann::json> next(std::chrono::milliseconds timeout) {
    beast::get_lowest_layer(ws_).expires_after(timeout);
    beast::flat_buffer buf;
    beast::error_code ec = net::error::would_block;
    ws_.async_read(buf, [&](beast::error_code e, size_t) { ec = e; });
    ioc_.restart();
    ioc_.run();
    if (ec)
      return std::nullopt;
    return nlohmann::json::parse(beast::buffers_to_string(buf.data()), nullptr, false);
  }

private:
  net::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
};

}  // namespace ordernode::test
