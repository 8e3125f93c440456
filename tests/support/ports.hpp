// Test support: TCP ports on 127.0.0.1, one held open by the test or one that is free.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include <doctest/doctest.h>

namespace ordernode::test {

// A port on 127.0.0.1 that this object listens on (without accepting) until it goes away.
class listening_port {
public:
  listening_port() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd_, 1) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }

  listening_port(const listening_port&) = delete;
  listening_port& operator=(const listening_port&) = delete;

  ~listening_port() {
    ::close(fd_);
  }

  uint16_t port() const {
    return port_;
  }

private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A TCP port on 127.0.0.1 that nobody listens on right now.
inline int free_port() {
  return listening_port{}.port();
}

// The port in a log line that names the address 127.0.0.1:PORT, e.g. "HTTP server listening on
// 127.0.0.1:PORT" or "metrics on http://127.0.0.1:PORT/metrics".
inline uint16_t port_from_log(const std::string& line) {
  const std::string address = "127.0.0.1:";
  auto at = line.find(address);
  INFO("no ", address, " in: ", line);
  REQUIRE(at != std::string::npos);
  return static_cast<uint16_t>(std::stoi(line.substr(at + address.size())));
}

}  // namespace ordernode::test
