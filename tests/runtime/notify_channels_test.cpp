#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <nlohmann/json.hpp>

#include "runtime/core/errors.hpp"
#include "runtime/notify/channel.hpp"
#include "runtime/notify/curl_transfer.hpp"
#include "runtime/notify/mock_channel.hpp"
#include "runtime/notify/slack_channel.hpp"
#include "runtime/notify/sms_channel.hpp"
#include "runtime/notify/smtp_channel.hpp"
#include "runtime/core/time_format.hpp"
#include "tests/support/ports.hpp"

using namespace ordernode;
using ordernode::test::free_port;
using namespace std::chrono_literals;

namespace {

// 2026-11-25T09:03:04.123Z
constexpr timestamp sample_time = 1795597384123000000;

error_report sample_error() {
  return {"order-4711", stage_id::shipper, error_type::shipping,
          "carrier refused: address <unknown> & closed", sample_time};
}

notification single(error_report x) {
  notification result;
  result.window_start = x.at;
  result.window_end = x.at;
  result.add(std::move(x), 20);
  return result;
}

std::string cause_of(const caf::error& err) {
  if (err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return describe(err);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One accepted TCP connection of a fake server, read with a timeout.
class connection {
public:
  explicit connection(int fd) : fd_(fd) {}

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  ~connection() {
    ::close(fd_);
  }

  // Reads until `delim` and returns what came before it; false on EOF or timeout.
  bool read_until(const std::string& delim, std::string& out) {
    for (;;) {
      if (auto pos = buf_.find(delim); pos != std::string::npos) {
        out = buf_.substr(0, pos);
        buf_.erase(0, pos + delim.size());
        return true;
      }
      if (!fill())
        return false;
    }
  }

  bool read_n(size_t n, std::string& out) {
    while (buf_.size() < n)
      if (!fill())
        return false;
    out = buf_.substr(0, n);
    buf_.erase(0, n);
    return true;
  }

  void write(const std::string& x) {
    ::send(fd_, x.data(), x.size(), MSG_NOSIGNAL);
  }

private:
  bool fill() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0)
      return false;
    char chunk[4096];
    auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0)
      return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  std::string buf_;
};

// Listens on 127.0.0.1 at an ephemeral port; hands each connection to `handler` on its thread.
class fake_server {
public:
  explicit fake_server(std::function<void(connection&)> handler) : handler_(std::move(handler)) {
    fd_ = listening_socket(port_);
    if (handler_)
      thread_ = std::thread{[this] {
        run();
      }};
  }

  fake_server(const fake_server&) = delete;
  fake_server& operator=(const fake_server&) = delete;

  ~fake_server() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
    ::close(fd_);
  }

  uint16_t port() const {
    return port_;
  }

  std::string url(const std::string& scheme, const std::string& path = "") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
  }

  static int listening_socket(uint16_t& port) {
    auto fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
    return fd;
  }

private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0)
        continue;
      auto conn_fd = ::accept(fd_, nullptr, nullptr);
      if (conn_fd < 0)
        continue;
      connection conn{conn_fd};
      handler_(conn);
    }
  }

  std::function<void(connection&)> handler_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct mail {
  std::string from;
  std::vector<std::string> to;
  std::string data;
};

// Speaks enough SMTP for curl and records every mail.
class fake_smtp {
public:
  fake_smtp()
      : server_{[this](connection& c) {
          serve(c);
        }} {}

  std::string url() const {
    return server_.url("smtp");
  }

  std::vector<mail> mails() {
    std::lock_guard<std::mutex> guard{mtx_};
    return mails_;
  }

private:
  void serve(connection& c) {
    mail current;
    c.write("220 fake.test ESMTP\r\n");
    std::string line;
    while (c.read_until("\r\n", line)) {
      auto verb = line.substr(0, 4);
      for (auto& ch : verb)
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (verb == "EHLO" || verb == "HELO") {
        c.write("250 fake.test\r\n");
      } else if (verb == "MAIL") {
        current = mail{};
        current.from = line.substr(10);
        c.write("250 OK\r\n");
      } else if (verb == "RCPT") {
        current.to.push_back(line.substr(8));
        c.write("250 OK\r\n");
      } else if (verb == "DATA") {
        c.write("354 End data with <CR><LF>.<CR><LF>\r\n");
        std::string data;
        if (!c.read_until("\r\n.\r\n", data))
          return;
        current.data = data;
        {
          std::lock_guard<std::mutex> guard{mtx_};
          mails_.push_back(current);
        }
        c.write("250 OK queued\r\n");
      } else if (verb == "QUIT") {
        c.write("221 Bye\r\n");
        return;
      } else {
        c.write("250 OK\r\n");
      }
    }
  }

  std::mutex mtx_;
  std::vector<mail> mails_;
  fake_server server_;
};

struct http_request {
  std::string request_line;
  std::map<std::string, std::string> headers;  // Lower-case names.
  std::string body;
};

// Answers every request with `status` and records it.
class fake_http {
public:
  explicit fake_http(int status = 200, std::string response = "ok")
      : status_(status), response_(std::move(response)), server_{[this](connection& c) {
          serve(c);
        }} {}

  std::string url(const std::string& path) const {
    return server_.url("http", path);
  }

  std::vector<http_request> requests() {
    std::lock_guard<std::mutex> guard{mtx_};
    return requests_;
  }

private:
  void serve(connection& c) {
    std::string head;
    if (!c.read_until("\r\n\r\n", head))
      return;
    http_request req;
    auto eol = head.find("\r\n");
    req.request_line = head.substr(0, eol);
    while (eol != std::string::npos) {
      auto next = head.find("\r\n", eol + 2);
      auto line =
        head.substr(eol + 2, next == std::string::npos ? std::string::npos : next - eol - 2);
      if (auto colon = line.find(':'); colon != std::string::npos) {
        auto name = line.substr(0, colon);
        for (auto& ch : name)
          ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        req.headers[name] = value;
      }
      eol = next;
    }
    if (auto i = req.headers.find("content-length"); i != req.headers.end())
      c.read_n(std::stoul(i->second), req.body);
    {
      std::lock_guard<std::mutex> guard{mtx_};
      requests_.push_back(req);
    }
    c.write("HTTP/1.1 " + std::to_string(status_) + " Fake\r\nContent-Type: text/plain\r\n"
            + "Content-Length: " + std::to_string(response_.size())
            + "\r\nConnection: close\r\n\r\n" + response_);
  }

  int status_;
  std::string response_;
  std::mutex mtx_;
  std::vector<http_request> requests_;
  fake_server server_;
};

transfer_timeouts short_timeouts() {
  return {std::chrono::milliseconds(500), std::chrono::milliseconds(1000)};
}

void check_mentions_error(const std::string& text) {
  CHECK(text.find("order-4711") != std::string::npos);
  CHECK(text.find("shipping") != std::string::npos);
  CHECK(text.find("2026-11-25T09:03:04.123Z") != std::string::npos);
  CHECK(text.find("carrier refused") != std::string::npos);
}

struct quiet_log {
  quiet_log() {
    spdlog::set_level(spdlog::level::warn);
  }
};

}  // namespace

TEST_CASE_FIXTURE(quiet_log, "iso8601 renders UTC with milliseconds") {
  CHECK(iso8601(sample_time) == "2026-11-25T09:03:04.123Z");
  CHECK(iso8601(0) == "1970-01-01T00:00:00.000Z");
  CHECK(iso8601(999'999) == "1970-01-01T00:00:00.000Z");
  CHECK(iso8601(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(iso8601(951782400'000'000'000) == "2000-02-29T00:00:00.000Z");
}

TEST_CASE_FIXTURE(quiet_log, "a single error names order, type, time, stage and cause") {
  auto x = single(sample_error());
  CHECK(x.total() == 1);
  CHECK(x.subject() == "[ordernode] shipping error, order order-4711 (shipper)");
  auto body = x.body();
  check_mentions_error(body);
  CHECK(body.find("Stage: shipper") != std::string::npos);
  auto no_order =
    single(error_report{"", stage_id::journal, error_type::storage, "disk full", sample_time});
  CHECK(no_order.subject() == "[ordernode] storage error in journal");
  CHECK(no_order.body().find("Order: (none)") != std::string::npos);
}

TEST_CASE_FIXTURE(quiet_log, "a digest counts every error by type and lists at most N") {
  notification x;
  x.window_start = sample_time;
  x.window_end = sample_time + 10'000'000'000;
  for (int i = 0; i < 30; ++i)
    x.add({"order-" + std::to_string(i), stage_id::shipper, error_type::shipping, "timeout",
           sample_time + i},
          5);
  for (int i = 0; i < 3; ++i)
    x.add({"bad-" + std::to_string(i), stage_id::validator, error_type::validation, "empty name",
           sample_time},
          5);
  CHECK(x.total() == 33);
  CHECK(x.errors.size() == 5);
  CHECK(x.counts["shipping"] == 30);
  CHECK(x.counts["validation"] == 3);
  CHECK(x.subject() == "[ordernode] 33 errors: 30 shipping, 3 validation");
  auto body = x.body();
  CHECK(body.find("33 errors between 2026-11-25T09:03:04.123Z and 2026-11-25T09:03:14.123Z")
        != std::string::npos);
  CHECK(body.find("  30 shipping\n") != std::string::npos);
  CHECK(body.find("  3 validation\n") != std::string::npos);
  CHECK(body.find("order order-4, shipping error at 2026-11-25T09:03:04.123Z in shipper: timeout")
        != std::string::npos);
  CHECK(body.find("order-5,") == std::string::npos);
  CHECK(body.find("28 more, not listed") != std::string::npos);
}

TEST_CASE_FIXTURE(quiet_log, "subjects stay on one line") {
  auto x = single(
    {"o\r\nBcc: evil@example.com", stage_id::shipper, error_type::shipping, "x", sample_time});
  CHECK(x.subject().find_first_of("\r\n") == std::string::npos);
}

TEST_CASE_FIXTURE(quiet_log, "redacted URLs keep scheme, host and port only") {
  CHECK(redacted("https://hooks.slack.com/services/T0/B0/secret") == "https://hooks.slack.com");
  CHECK(redacted("http://user:pw@127.0.0.1:8080/sms?key=abc") == "http://127.0.0.1:8080");
  CHECK(redacted("smtp://mail.example.com:2525") == "smtp://mail.example.com:2525");
  CHECK(redacted("no-scheme") == "(invalid URL)");
}

TEST_CASE_FIXTURE(quiet_log, "the smtp channel delivers a plain-text mail to every recipient") {
  fake_smtp server;
  smtp_channel ch{
    {server.url(), "ordernode@example.com", {"ops@example.com", "oncall@example.com"}},
    short_timeouts()};
  CHECK(ch.name() == "smtp");
  auto err = ch.send(single(sample_error()));
  INFO(cause_of(err));
  REQUIRE(!err);
  auto mails = server.mails();
  REQUIRE(mails.size() == 1);
  auto& m = mails.front();
  CHECK(m.from == "<ordernode@example.com>");
  REQUIRE(m.to.size() == 2);
  CHECK(m.to[0] == "<ops@example.com>");
  CHECK(m.to[1] == "<oncall@example.com>");
  CHECK(m.data.find("Subject: [ordernode] shipping error, order order-4711 (shipper)\r\n")
        != std::string::npos);
  CHECK(m.data.find("From: ordernode@example.com\r\n") != std::string::npos);
  CHECK(m.data.find("To: ops@example.com, oncall@example.com\r\n") != std::string::npos);
  CHECK(m.data.find("Content-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
  auto body_at = m.data.find("\r\n\r\n");
  REQUIRE(body_at != std::string::npos);
  auto body = m.data.substr(body_at + 4);
  check_mentions_error(body);
  CHECK(body.find("Stage: shipper\r\n") != std::string::npos);
}

TEST_CASE_FIXTURE(quiet_log, "the smtp channel encodes a non-ASCII subject and wraps long lines") {
  smtp_channel ch{{"smtp://127.0.0.1:1", "a@example.com", {"b@example.com"}}};
  auto x = single({"bestellung-\xc3\xbc", stage_id::shipper, error_type::shipping,
                   std::string(3000, 'x'), sample_time});
  auto text = ch.compose(x, sample_time);
  CHECK(text.find("Subject: =?UTF-8?B?") != std::string::npos);
  CHECK(text.find("Date: Wed, 25 Nov 2026 09:03:04 +0000\r\n") != std::string::npos);
  size_t longest = 0;
  for (size_t begin = 0, end; (end = text.find("\r\n", begin)) != std::string::npos;
       begin = end + 2)
    longest = std::max(longest, end - begin);
  CHECK(longest <= 998);
}

TEST_CASE_FIXTURE(quiet_log, "the slack channel posts JSON with a text") {
  fake_http server;
  slack_channel ch{{server.url("/services/T0/B0/secret")}, short_timeouts()};
  CHECK(ch.name() == "slack");
  auto err = ch.send(single(sample_error()));
  INFO(cause_of(err));
  REQUIRE(!err);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].request_line == "POST /services/T0/B0/secret HTTP/1.1");
  CHECK(reqs[0].headers["content-type"] == "application/json");
  auto doc = nlohmann::json::parse(reqs[0].body);
  REQUIRE(doc.contains("text"));
  REQUIRE(doc["text"].is_string());
  auto text = doc["text"].get<std::string>();
  check_mentions_error(text);
  CHECK(text.find("address &lt;unknown&gt; &amp; closed") != std::string::npos);
}

TEST_CASE_FIXTURE(quiet_log, "the sms channel posts JSON with to and message") {
  fake_http server;
  sms_channel ch{{server.url("/send"), "+4915112345678", 640}, short_timeouts()};
  CHECK(ch.name() == "sms");
  auto err = ch.send(single(sample_error()));
  INFO(cause_of(err));
  REQUIRE(!err);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].request_line == "POST /send HTTP/1.1");
  auto doc = nlohmann::json::parse(reqs[0].body);
  CHECK(doc["to"] == "+4915112345678");
  REQUIRE(doc["message"].is_string());
  check_mentions_error(doc["message"].get<std::string>());
}

TEST_CASE_FIXTURE(quiet_log, "the sms channel cuts long messages") {
  sms_channel ch{{"http://127.0.0.1:1/send", "+1", 100}};
  auto x = single(
    {"order-1", stage_id::shipper, error_type::shipping, std::string(500, 'y'), sample_time});
  auto doc = nlohmann::json::parse(ch.payload(x));
  auto message = doc["message"].get<std::string>();
  CHECK(message.size() == 100);
  CHECK(message.substr(97) == "...");
}

TEST_CASE_FIXTURE(quiet_log, "invalid UTF-8 in a cause does not break the JSON") {
  auto x =
    single({"order-1", stage_id::shipper, error_type::shipping, "bad \xff\xfe bytes", sample_time});
  auto doc = nlohmann::json::parse(slack_channel{{"http://127.0.0.1:1"}}.payload(x));
  CHECK(doc["text"].get<std::string>().find("bytes") != std::string::npos);
  CHECK_NOTHROW(nlohmann::json::parse(mock_channel::json_line(x)));
}

TEST_CASE_FIXTURE(quiet_log, "an unreachable endpoint gives an error quickly") {
  auto port = std::to_string(free_port());
  auto x = single(sample_error());
  auto t0 = std::chrono::steady_clock::now();
  auto smtp_err =
    smtp_channel{{"smtp://127.0.0.1:" + port, "a@example.com", {"b@example.com"}}, short_timeouts()}
      .send(x);
  auto slack_err =
    slack_channel{{"http://127.0.0.1:" + port + "/hook/secret"}, short_timeouts()}.send(x);
  auto sms_err =
    sms_channel{{"http://127.0.0.1:" + port + "/send", "+1"}, short_timeouts()}.send(x);
  CHECK(seconds_since(t0) < 3.0);
  REQUIRE(smtp_err);
  REQUIRE(slack_err);
  REQUIRE(sms_err);
  CHECK(smtp_err.code() == static_cast<uint8_t>(caf::sec::runtime_error));
  auto smtp_text = cause_of(smtp_err);
  auto slack_text = cause_of(slack_err);
  INFO(smtp_text, " | ", slack_text);
  CHECK(smtp_text.rfind("smtp: cannot send mail via smtp://127.0.0.1:" + port, 0) == 0);
  CHECK(slack_text.rfind("slack: cannot post to http://127.0.0.1:" + port + ": ", 0) == 0);
  CHECK(slack_text.find("secret") == std::string::npos);
  CHECK(cause_of(sms_err).rfind("sms: ", 0) == 0);
}

TEST_CASE_FIXTURE(quiet_log, "a server that never answers runs into the total timeout") {
  uint16_t port = 0;
  auto fd = fake_server::listening_socket(port);
  slack_channel ch{{"http://127.0.0.1:" + std::to_string(port) + "/hook"},
                   {std::chrono::milliseconds(200), std::chrono::milliseconds(300)}};
  auto t0 = std::chrono::steady_clock::now();
  auto err = ch.send(single(sample_error()));
  auto took = seconds_since(t0);
  ::close(fd);
  REQUIRE(err);
  INFO(cause_of(err));
  CHECK(cause_of(err).find("timed out") != std::string::npos);
  CHECK(took >= 0.25);
  CHECK(took < 2.0);
}

TEST_CASE_FIXTURE(quiet_log, "HTTP 500 is an error naming the status and the response") {
  fake_http server{500, "internal trouble"};
  auto err = slack_channel{{server.url("/hook")}, short_timeouts()}.send(single(sample_error()));
  REQUIRE(err);
  CHECK(cause_of(err) == "slack: HTTP 500 from " + redacted(server.url("")) + ": internal trouble");
  auto sms_err =
    sms_channel{{server.url("/send"), "+1"}, short_timeouts()}.send(single(sample_error()));
  REQUIRE(sms_err);
  CHECK(cause_of(sms_err).find("HTTP 500") != std::string::npos);
  CHECK(server.requests().size() == 2);
}

TEST_CASE_FIXTURE(quiet_log, "other 2xx answers count as delivered") {
  fake_http server{204, ""};
  CHECK_FALSE(slack_channel{{server.url("/hook")}, short_timeouts()}.send(single(sample_error())));
}

TEST_CASE_FIXTURE(quiet_log, "the mock channel appends one JSON line per notification") {
  auto path = (std::filesystem::temp_directory_path()
               / ("ordernode-mock-" + std::to_string(::getpid()) + ".jsonl"))
                .string();
  std::filesystem::remove(path);
  mock_channel ch{path};
  CHECK(ch.name() == "mock");
  REQUIRE_FALSE(ch.send(single(sample_error())));
  notification digest;
  for (int i = 0; i < 3; ++i)
    digest.add({"order-" + std::to_string(i), stage_id::processor, error_type::processing, "boom",
                sample_time},
               2);
  REQUIRE_FALSE(ch.send(digest));
  std::ifstream in{path};
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(nlohmann::json::parse(line));
  std::filesystem::remove(path);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["total"] == 1);
  CHECK(lines[0]["errors"][0]["order_id"] == "order-4711");
  CHECK(lines[0]["errors"][0]["type"] == "shipping");
  CHECK(lines[0]["errors"][0]["time"] == "2026-11-25T09:03:04.123Z");
  CHECK(lines[0]["errors"][0]["stage"] == "shipper");
  CHECK(lines[0]["errors"][0]["cause"] == sample_error().cause);
  CHECK(lines[1]["total"] == 3);
  CHECK(lines[1]["counts"]["processing"] == 3);
  CHECK(lines[1]["errors"].size() == 2);
}

TEST_CASE_FIXTURE(quiet_log, "the mock channel reports a file it cannot write") {
  mock_channel ch{"/nonexistent-dir/notifications.jsonl"};
  auto err = ch.send(single(sample_error()));
  REQUIRE(err);
  CHECK(cause_of(err).rfind("mock: cannot append to /nonexistent-dir/notifications.jsonl", 0) == 0);
}
