// ordernode-http-bench: starts the ordernode binary with the journal on, then drives
// POST /api/orders over keep-alive connections and reports accepted orders/s with p50/p99
// latency, next to a baseline measured in the same run (GET /healthz over the same connections).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tools/bench/bench_flags.hpp"
#include "tools/bench/latency_histogram.hpp"
#include "tools/support/proc_stat.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using ordernode::bench::latency_histogram;
namespace proc = ordernode::proc;

namespace {

struct options {
  std::string node;
  uint64_t orders = 200'000;
  int connections = 64;
  double baseline_seconds = 3;
  int http_threads = 0;  // 0: the node's default (http.threads).
  int max_in_flight = 10000;
  bool json = false;
  std::string dir;
  std::vector<std::string> node_args;  // Passed on to ordernode.
};

struct phase_result {
  uint64_t ok = 0;
  uint64_t refused = 0;  // 503 answers.
  uint64_t other = 0;
  double seconds = 0;
  latency_histogram latency;
};

// Closed-loop load: every connection sends its next request when the previous answer arrived.
class load {
public:
  load(net::io_context& ioc, uint16_t port, int connections, std::string request,
       unsigned ok_status, std::function<bool()> more)
      : ioc_(ioc),
        port_(port),
        request_(std::move(request)),
        ok_status_(ok_status),
        more_(std::move(more)) {
    for (int i = 0; i < connections; ++i)
      conns_.push_back(std::make_unique<conn>(ioc_));
  }

  phase_result run() {
    auto start = clock_type::now();
    for (auto& c : conns_) {
      c->stream.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port_});
      c->stream.socket().set_option(tcp::no_delay(true));
      send(*c);
    }
    ioc_.run();
    ioc_.restart();
    result_.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    return result_;
  }

private:
  struct conn {
    explicit conn(net::io_context& ioc) : stream(ioc) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    clock_type::time_point sent;
  };

  void send(conn& c) {
    if (!more_())
      return;
    c.sent = clock_type::now();
    net::async_write(
      c.stream.socket(), net::buffer(request_), [this, &c](beast::error_code ec, size_t) {
        if (ec) {
          std::cerr << "write: " << ec.message() << "\n";
          return;
        }
        c.res = {};
        http::async_read(c.stream, c.buffer, c.res, [this, &c](beast::error_code ec, size_t) {
          if (ec) {
            std::cerr << "read: " << ec.message() << "\n";
            return;
          }
          auto ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - c.sent);
          if (c.res.result_int() == ok_status_) {
            ++result_.ok;
            result_.latency.add(ns.count());
          } else if (c.res.result_int() == 503) {
            ++result_.refused;
          } else {
            ++result_.other;
          }
          send(c);
        });
      });
  }

  net::io_context& ioc_;
  uint16_t port_;
  std::string request_;
  unsigned ok_status_;
  std::function<bool()> more_;
  std::vector<std::unique_ptr<conn>> conns_;
  phase_result result_;
};

uint16_t free_port() {
  net::io_context ioc;
  tcp::acceptor a{ioc, tcp::endpoint{net::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();
}

bool ready(uint16_t port) {
  try {
    net::io_context ioc;
    beast::tcp_stream s{ioc};
    s.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
    http::request<http::empty_body> req{http::verb::get, "/readyz", 11};
    http::write(s, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return res.result_int() == 200;
  } catch (const std::exception&) {
    return false;
  }
}

double ms(int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  options opts;
  opts.node = (fs::read_symlink("/proc/self/exe").parent_path() / "ordernode").string();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      std::string prefix = std::string{"--"} + name + "=";
      if (arg.rfind(prefix, 0) == 0)
        return arg.substr(prefix.size());
      return std::nullopt;
    };
    if (auto v = value("orders"))
      opts.orders = std::stoull(*v);
    else if (auto v = value("connections"))
      opts.connections = std::stoi(*v);
    else if (auto v = value("baseline-seconds"))
      opts.baseline_seconds = std::stod(*v);
    else if (auto v = value("http-threads"))
      opts.http_threads = std::stoi(*v);
    else if (auto v = value("max-in-flight"))
      opts.max_in_flight = std::stoi(*v);
    else if (auto v = value("node"))
      opts.node = *v;
    else if (auto v = value("dir"))
      opts.dir = *v;
    else if (auto v = value("node-arg"))
      opts.node_args.push_back(*v);
    else if (arg == "--json")
      opts.json = true;
    else {
      std::cerr
        << "usage: ordernode-http-bench [--orders=N] [--connections=C] [--http-threads=T]\n"
           "  [--max-in-flight=N] [--baseline-seconds=S] [--node=PATH] [--dir=DIR] [--json]\n"
           "  [--node-arg=--key=value ...]\n";
      return 2;
    }
  }
  if (opts.dir.empty())
    opts.dir =
      (fs::temp_directory_path() / ("ordernode-http-bench-" + std::to_string(getpid()))).string();
  fs::create_directories(opts.dir);
  auto port = free_port();
  std::vector<std::string> args{opts.node};
  for (auto& x : ordernode::bench::bench_flags(opts.dir + "/bench.db"))
    args.push_back(std::move(x));
  args.insert(args.end(), {"--node.max-in-flight=" + std::to_string(opts.max_in_flight),
                           "--http.bind=127.0.0.1:" + std::to_string(port)});
  if (opts.http_threads > 0)
    args.push_back("--http.threads=" + std::to_string(opts.http_threads));
  args.insert(args.end(), opts.node_args.begin(), opts.node_args.end());
  auto pid = fork();
  if (pid == 0) {
    auto log = opts.dir + "/node.log";
    if (!freopen(log.c_str(), "w", stderr) || !freopen("/dev/null", "w", stdout))
      _exit(127);
    std::vector<char*> argv_node;
    for (auto& a : args)
      argv_node.push_back(a.data());
    argv_node.push_back(nullptr);
    execv(argv_node[0], argv_node.data());
    _exit(127);
  }
  auto stop_node = [&] {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  };
  auto deadline = clock_type::now() + std::chrono::seconds(20);
  while (!ready(port)) {
    if (clock_type::now() > deadline || waitpid(pid, nullptr, WNOHANG) == pid) {
      std::cerr << "ordernode did not become ready; see " << opts.dir << "/node.log\n";
      stop_node();
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  net::io_context ioc;
  auto base_end = clock_type::now()
                  + std::chrono::duration_cast<clock_type::duration>(
                    std::chrono::duration<double>(opts.baseline_seconds));
  load healthz{
    ioc, port, opts.connections, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200, [&] {
      return clock_type::now() < base_end;
    }};
  auto cpu0 = proc::cpu_seconds(pid);
  auto self0 = proc::cpu_seconds(getpid());
  auto base = healthz.run();
  auto cpu1 = proc::cpu_seconds(pid);
  auto self1 = proc::cpu_seconds(getpid());
  std::string body =
    R"({"productName":"keyboard","quantity":2,"region":"eu","customer":"bench","vip":false})";
  auto post =
    "POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "Content-Length: "
    + std::to_string(body.size()) + "\r\n\r\n" + body;
  uint64_t sent = 0;
  load orders{ioc, port, opts.connections, post, 202, [&] {
                return sent++ < opts.orders;
              }};
  auto r = orders.run();
  auto cpu2 = proc::cpu_seconds(pid);
  auto self2 = proc::cpu_seconds(getpid());
  auto per = [](double cpu, uint64_t n) {
    return n == 0 ? 0.0 : cpu * 1e6 / static_cast<double>(n);
  };
  auto node_us = per(cpu2 - cpu1, r.ok + r.refused);
  auto client_us = per(self2 - self1, r.ok + r.refused);
  auto base_node_us = per(cpu1 - cpu0, base.ok);
  auto base_client_us = per(self1 - self0, base.ok);
  double load1 = 0;
  if (std::ifstream la{"/proc/loadavg"}; la)
    la >> load1;
  auto rss = proc::status_kib(pid, "VmHWM");
  stop_node();
  auto base_rate = static_cast<double>(base.ok) / base.seconds;
  auto rate = static_cast<double>(r.ok) / r.seconds;
  if (opts.json) {
    std::printf(
      "{\"orders_per_s\":%.0f,\"accepted\":%llu,\"refused_503\":%llu,\"other\":%llu,"
      "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"baseline_healthz_per_s\":%.0f,"
      "\"baseline_p50_ms\":%.3f,\"baseline_p99_ms\":%.3f,\"connections\":%d,"
      "\"node_cpu_us_per_order\":%.1f,\"client_cpu_us_per_order\":%.1f,"
      "\"node_cpu_us_per_healthz\":%.1f,\"load_average\":%.2f}\n",
      rate, static_cast<unsigned long long>(r.ok), static_cast<unsigned long long>(r.refused),
      static_cast<unsigned long long>(r.other), ms(r.latency.quantile(0.5)),
      ms(r.latency.quantile(0.99)), ms(r.latency.max()), base_rate, ms(base.latency.quantile(0.5)),
      ms(base.latency.quantile(0.99)), opts.connections, node_us, client_us, base_node_us, load1);
  } else {
    std::printf("ordernode-http-bench: %d keep-alive connections, %s HTTP threads, journal on\n",
                opts.connections,
                opts.http_threads > 0 ? std::to_string(opts.http_threads).c_str() : "default");
    std::printf(
      "  POST /api/orders   %10.0f orders/s  accepted %llu, 503 %llu, other %llu  "
      "p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
      rate, static_cast<unsigned long long>(r.ok), static_cast<unsigned long long>(r.refused),
      static_cast<unsigned long long>(r.other), ms(r.latency.quantile(0.5)),
      ms(r.latency.quantile(0.99)), ms(r.latency.max()));
    std::printf(
      "  baseline GET /healthz %7.0f req/s   p50 %.2f ms  p99 %.2f ms (same connections)\n",
      base_rate, ms(base.latency.quantile(0.5)), ms(base.latency.quantile(0.99)));
    std::printf(
      "  CPU per POST: node %.1f us, load client %.1f us; per GET /healthz: node %.1f us,"
      " client %.1f us\n",
      node_us, client_us, base_node_us, base_client_us);
    std::printf("  node peak RSS %.1f MiB; machine load average %.2f during the run\n",
                rss / 1024.0, load1);
  }
  std::error_code ec;
  fs::remove_all(opts.dir, ec);
  return r.other == 0 ? 0 : 1;
}
