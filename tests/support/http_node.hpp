// Test support: an ordernode process with its HTTP server on a free port, and order bodies.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/waiting.hpp"

namespace ordernode::test {

struct http_node {
  // Starts the node in `dir` on `db` with the mock source off and the externals quick.
  http_node(const fs::path& dir, const std::string& name, const fs::path& db,
            std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--journal.path=" + db.string(), "--source.enabled=false",
                                  "--http.bind=127.0.0.1:0",       "--processor.latency=1ms",
                                  "--processor.failure-rate=0",    "--shipper.latency=1ms",
                                  "--shipper.failure-rate=0",      "--shipper.retry-delay=10ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    process = std::make_unique<node_process>(dir, name, args);
    auto line = process->wait_for_log("HTTP server listening on", 20s);
    INFO(process->err());
    REQUIRE(line.has_value());
    port = port_from_log(*line);
    REQUIRE(process->wait_for_log(" started: journal ", 20s).has_value());
  }

  // SIGTERM, then the exit code.
  int stop() {
    process->signal(SIGTERM);
    auto code = process->wait(30s);
    REQUIRE(code.has_value());
    return *code;
  }

  std::unique_ptr<node_process> process;
  uint16_t port = 0;
};

inline std::string order_body(const std::string& product, int quantity = 1,
                              const std::string& region = "eu", bool vip = false,
                              const std::string& customer = "alice") {
  return nlohmann::json{{"productName", product},
                        {"quantity", quantity},
                        {"region", region},
                        {"customer", customer},
                        {"vip", vip}}
    .dump();
}

// Polls GET /api/orders/{id} until the order reaches a final state; its record then.
inline nlohmann::json wait_final(http_client& c, const std::string& id,
                                 std::chrono::milliseconds timeout = 20s) {
  nlohmann::json last;
  wait_until(
    [&] {
      auto r = c.get("/api/orders/" + id);
      if (r.status != 200)
        return false;
      last = r.json();
      auto s = last.value("status", "");
      return s == "completed" || s == "failed" || s == "rejected" || s == "dead_letter";
    },
    timeout);
  return last;
}

}  // namespace ordernode::test
