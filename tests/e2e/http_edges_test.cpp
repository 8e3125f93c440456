// The HTTP server at its edges, against the real binary: the file-descriptor limit, the caps on
// connections and WebSocket clients, oversized WebSocket frames and the 413 to a client that
// sends its whole body at once.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include "tests/support/http_node.hpp"
#include "tests/support/node_output.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/process_probes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

using namespace ordernode::test;

namespace {

// A blocking TCP connection to 127.0.0.1:port over the plain socket API, so that a test sees
// exactly which call fails and how (ECONNRESET, EPIPE, a timeout).
class raw_socket {
public:
  explicit raw_socket(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    timeval limit{10, 0};
    REQUIRE(setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) == 0);
    REQUIRE(setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit)) == 0);
  }

  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;

  ~raw_socket() {
    ::close(fd_);
  }

  void receive_timeout(std::chrono::milliseconds x) {
    timeval limit{static_cast<time_t>(x.count() / 1000),
                  static_cast<suseconds_t>(x.count() % 1000 * 1000)};
    REQUIRE(setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) == 0);
  }

  // Sends all of `bytes`; 0, or the errno of the send that failed.
  int send_all(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return errno;
      done += static_cast<size_t>(n);
    }
    return 0;
  }

  // Appends what arrives to `out` until the peer closes (0), or the errno of the failed read.
  int read_to_end(std::string& out) {
    char buf[16384];
    for (;;) {
      auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return errno;
      if (n == 0)
        return 0;
      out.append(buf, static_cast<size_t>(n));
    }
  }

  // Exactly `n` bytes, or nothing when the peer closed or went silent first.
  std::optional<std::string> read_exactly(size_t n) {
    std::string result(n, '\0');
    size_t done = 0;
    while (done < n) {
      auto got = ::recv(fd_, result.data() + done, n - done, 0);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        return std::nullopt;
      done += static_cast<size_t>(got);
    }
    return result;
  }

  // The bytes up to and including the first "\r\n\r\n" (the head of an HTTP message).
  std::optional<std::string> read_head() {
    std::string result;
    while (result.size() < 65536) {
      auto c = read_exactly(1);
      if (!c)
        return std::nullopt;
      result += *c;
      if (result.size() >= 4 && result.compare(result.size() - 4, 4, "\r\n\r\n") == 0)
        return result;
    }
    return std::nullopt;
  }

private:
  int fd_;
};

// A WebSocket frame as the server sends it (never masked).
struct ws_frame {
  int opcode = 0;
  std::string payload;
};

std::optional<ws_frame> read_frame(raw_socket& s) {
  auto head = s.read_exactly(2);
  if (!head)
    return std::nullopt;
  ws_frame result;
  result.opcode = static_cast<unsigned char>((*head)[0]) & 0x0f;
  uint64_t len = static_cast<unsigned char>((*head)[1]) & 0x7f;
  if (len >= 126) {
    auto ext = s.read_exactly(len == 126 ? 2 : 8);
    if (!ext)
      return std::nullopt;
    len = 0;
    for (unsigned char c : *ext)
      len = (len << 8) | c;
  }
  REQUIRE(len < (1u << 20));
  auto payload = s.read_exactly(static_cast<size_t>(len));
  if (!payload)
    return std::nullopt;
  result.payload = std::move(*payload);
  return result;
}

const std::string ws_upgrade =
  "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
  "Sec-WebSocket-Version: 13\r\n\r\n";

// The "error" of a JSON error body, or "" for anything else.
std::string error_of(const std::string& body) {
  auto x = nlohmann::json::parse(body, nullptr, false);
  return x.is_object() ? x.value("error", "") : "";
}

const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

}  // namespace

TEST_CASE("a 413 reaches a client that sends its whole oversized body without waiting") {
  temp_dir dir;
  http_node node{dir.path(), "node", dir.path() / "edges.db", {"--http.body-limit=4096"}};
  // 8 MiB is more than the loopback socket buffers take in: the client is still sending when
  // the server has answered, and closing then would fail its send with EPIPE (Python's urllib
  // gives up there, without reading the answer).
  for (size_t size : {size_t{64} << 10, size_t{8} << 20}) {
    CAPTURE(size);
    raw_socket s{node.port};
    auto request =
      "POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: "
      + std::to_string(size) + "\r\n\r\n" + std::string(size, ' ');
    auto sent = s.send_all(request);
    CHECK_MESSAGE(sent == 0, "send failed: ", std::strerror(sent));
    std::string reply;
    auto read = s.read_to_end(reply);
    CHECK_MESSAGE(read == 0, "recv failed: ", std::strerror(read));
    REQUIRE(reply.rfind("HTTP/1.1 413 ", 0) == 0);
    auto head_end = reply.find("\r\n\r\n");
    REQUIRE(head_end != std::string::npos);
    CHECK(error_of(reply.substr(head_end + 4)) == "payload_too_large");
  }
  http_client c{node.port};
  CHECK(c.get("/healthz").status == 200);
  CHECK(node.stop() == 0);
}

// At the descriptor limit the sanitizers' runtime cannot check memory (UBSan needs a pipe to
// probe an object's vptr and reports every check as an invalid object): the sanitizer build
// leaves this case to the normal one.
#ifdef __SANITIZE_ADDRESS__
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

TEST_CASE("at the file-descriptor limit the node backs off instead of spinning, then recovers"
          * doctest::skip(sanitized)) {
  temp_dir dir;
  rlimit files{160, 256};
  node_process node{dir.path(),
                    "limited",
                    {"--journal.path=" + (dir.path() / "fd.db").string(), "--source.enabled=false"},
                    files};
  auto line = node.wait_for_log("HTTP server listening on", 20s);
  INFO(node.err());
  REQUIRE(line.has_value());
  auto port = port_from_log(*line);
  REQUIRE(node.wait_for_log(" started: journal ", 20s).has_value());
  // The node raised its soft limit to the hard one.
  CHECK(open_files_limit(node.pid()) == std::pair<long, long>{256, 256});
  auto limit = static_cast<size_t>(open_files_limit(node.pid()).first);

  // More connections than the node has descriptors: the rest wait in the listen backlog.
  std::vector<std::unique_ptr<raw_socket>> conns;
  for (size_t i = 0; i < limit + 64; ++i)
    conns.push_back(std::make_unique<raw_socket>(port));
  REQUIRE(wait_until([&] { return open_files(node.pid()) >= limit; }, 10s));
  auto cpu_before = cpu_seconds(node.pid());
  auto start = clock_type::now();
  std::this_thread::sleep_for(1500ms);  // The window over which the CPU time is measured.
  auto used = (cpu_seconds(node.pid()) - cpu_before)
              / std::chrono::duration<double>(clock_type::now() - start).count();
  CAPTURE(used);
  CHECK(used < 0.25);  // Of one core; spinning on accept takes a whole one.
  CHECK(count_of(node.err(), "HTTP server cannot accept") == 1);

  conns.clear();
  CHECK(wait_until([&] { return http_client{port}.get("/healthz").status == 200; }, 10s));
  CHECK(node.wait_for_log("HTTP server accepts connections again", 5s).has_value());
  node.signal(SIGTERM);
  CHECK(node.wait(30s) == 0);
}

TEST_CASE("http.max-connections: one more connection gets 503 and is closed; WebSockets count") {
  temp_dir dir;
  http_node node{dir.path(),
                 "node",
                 dir.path() / "edges.db",
                 {"--http.max-connections=3", "--http.retry-after=4"}};
  http_client c{node.port};
  std::vector<std::unique_ptr<raw_socket>> idle;
  for (int i = 0; i < 2; ++i)
    idle.push_back(std::make_unique<raw_socket>(node.port));
  ws_client live{node.port};
  REQUIRE(live.next(5s));
  auto refused = c.raw(healthz);
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "4");
  CHECK(refused.header("Connection") == "close");
  CHECK(error_of(refused.body) == "overloaded");
  // The refused connection is closed after its answer.
  {
    raw_socket s{node.port};
    std::string reply;
    CHECK(s.read_to_end(reply) == 0);
    CHECK(reply.rfind("HTTP/1.1 503 ", 0) == 0);
  }
  idle.pop_back();
  CHECK(wait_until([&] { return c.raw(healthz).status == 200; }, 10s));
  CHECK(node.stop() == 0);
}

TEST_CASE("http.ws-max-clients: one more WebSocket upgrade gets 503") {
  temp_dir dir;
  http_node node{dir.path(), "node", dir.path() / "edges.db", {"--http.ws-max-clients=2"}};
  http_client c{node.port};
  auto first = std::make_unique<ws_client>(node.port);
  REQUIRE(first->next(5s));
  ws_client second{node.port};
  REQUIRE(second.next(5s));
  auto refused = c.raw(ws_upgrade);
  CHECK(refused.status == 503);
  CHECK_FALSE(refused.header("Retry-After").empty());
  CHECK(error_of(refused.body) == "overloaded");
  CHECK(c.get("/healthz").status == 200);
  first.reset();
  CHECK(wait_until([&] { return c.raw(ws_upgrade).status == 101; }, 10s));
  CHECK(node.stop() == 0);
}

TEST_CASE("/ws closes a client with 1009 when a frame is larger than a few KiB") {
  temp_dir dir;
  http_node node{dir.path(), "node", dir.path() / "edges.db"};
  raw_socket s{node.port};
  REQUIRE(s.send_all(ws_upgrade) == 0);
  auto head = s.read_head();
  REQUIRE(head);
  REQUIRE(head->rfind("HTTP/1.1 101 ", 0) == 0);
  // A masked binary frame that announces 1 MiB, below Beast's default limit of 16 MiB.
  std::string frame{'\x82', static_cast<char>(0x80 | 127)};
  for (int shift = 56; shift >= 0; shift -= 8)
    frame += static_cast<char>((uint64_t{1} << 20) >> shift & 0xff);
  frame += std::string{"\x11\x22\x33\x44"};
  frame += std::string(1000, 'x');
  REQUIRE(s.send_all(frame) == 0);
  s.receive_timeout(5s);
  std::optional<ws_frame> close;
  while (auto x = read_frame(s))
    if (x->opcode == 8) {
      close = std::move(x);
      break;
    }
  REQUIRE_MESSAGE(close, "no close frame");
  REQUIRE(close->payload.size() >= 2);
  auto code = static_cast<unsigned char>(close->payload[0]) << 8
              | static_cast<unsigned char>(close->payload[1]);
  CHECK(code == 1009);
  http_client c{node.port};
  CHECK(c.get("/healthz").status == 200);
  CHECK(node.stop() == 0);
}

TEST_CASE("http.max-connections and http.ws-max-clients out of range stop the node with 2") {
  temp_dir dir;
  for (auto arg : {"--http.max-connections=0", "--http.ws-max-clients=-1"}) {
    CAPTURE(arg);
    auto r = run_to_exit(dir.path(), {arg});
    CHECK(r.exit_code == 2);
    auto key = std::string{arg}.substr(2, std::string{arg}.find('=') - 2);
    CHECK(r.err.find(key) != std::string::npos);
  }
}
