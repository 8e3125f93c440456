// Test support: a TCP proxy on 127.0.0.1 in front of a server, which can swallow the server's
// answers and then cut every connection: a lost network at the worst moment, on demand.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace ordernode::test {

class tcp_proxy {
public:
  explicit tcp_proxy(uint16_t target_port) : target_port_(target_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0
        || ::listen(listener_, 16) != 0
        || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("tcp_proxy: cannot listen");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread{[this] {
      run();
    }};
  }

  ~tcp_proxy() {
    stop_ = true;
    thread_.join();
    cut();
    ::close(listener_);
  }

  uint16_t port() const {
    return port_;
  }

  // From now on the server's bytes go nowhere; the client's still reach the server.
  void swallow_answers() {
    swallow_ = true;
  }

  // Closes every connection and forwards answers again for new ones.
  void cut() {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto& [client, server] : pairs_) {
      ::close(client);
      ::close(server);
    }
    pairs_.clear();
    swallow_ = false;
  }

private:
  int connect_target() const {
    auto fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(target_port_);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  void run() {
    std::vector<char> buf(65536);
    while (!stop_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      {
        std::lock_guard<std::mutex> guard{mtx_};
        for (auto& [client, server] : pairs_) {
          fds.push_back({client, POLLIN, 0});
          fds.push_back({server, POLLIN, 0});
        }
      }
      if (::poll(fds.data(), fds.size(), 20) <= 0)
        continue;
      if ((fds[0].revents & POLLIN) != 0) {
        auto client = ::accept(listener_, nullptr, nullptr);
        auto server = client >= 0 ? connect_target() : -1;
        if (server >= 0) {
          std::lock_guard<std::mutex> guard{mtx_};
          pairs_.emplace_back(client, server);
        } else if (client >= 0) {
          ::close(client);
        }
      }
      std::lock_guard<std::mutex> guard{mtx_};
      for (size_t i = 1; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
          continue;
        auto from_client = i % 2 == 1;
        auto pair = std::find_if(pairs_.begin(), pairs_.end(), [&](auto& x) {
          return (from_client ? x.first : x.second) == fds[i].fd;
        });
        if (pair == pairs_.end())
          continue;  // Cut meanwhile.
        auto n = ::read(fds[i].fd, buf.data(), buf.size());
        if (n <= 0) {
          ::close(pair->first);
          ::close(pair->second);
          pairs_.erase(pair);
          continue;
        }
        if (!from_client && swallow_)
          continue;
        auto to = from_client ? pair->second : pair->first;
        for (ssize_t sent = 0; sent < n;) {
          auto k = ::write(to, buf.data() + sent, static_cast<size_t>(n - sent));
          if (k <= 0)
            break;
          sent += k;
        }
      }
    }
  }

  uint16_t target_port_;
  uint16_t port_ = 0;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> swallow_{false};
  std::mutex mtx_;
  std::vector<std::pair<int, int>> pairs_;
  std::thread thread_;
};

}  // namespace ordernode::test
