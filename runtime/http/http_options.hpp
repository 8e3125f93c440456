// The settings of the HTTP server (config keys http.*) and the hooks other parts plug into it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "runtime/core/option_table.hpp"

namespace ordernode {

struct http_options {
  bool enabled = true;
  std::string bind = "127.0.0.1:8080";  // Port 0 picks a free port; the log names it.
  int32_t threads = 2;
  int64_t body_limit = 16 * 1024;
  caf::timespan request_timeout = std::chrono::seconds(10);
  caf::timespan idle_timeout = std::chrono::seconds(60);
  int32_t retry_after = 1;  // Seconds, in the Retry-After header of a 503.
  int32_t list_limit = 1000;
  int32_t ws_queue_limit = 1 << 20;  // Bytes a slow WebSocket client may lag behind.
  int32_t max_connections = 1024;    // Open connections, WebSockets included; 503 beyond.
  int32_t ws_max_clients = 64;       // WebSocket clients; an upgrade beyond gets 503.
  std::string static_dir;            // Empty: the page that ships with the source.
};

// Optional providers of other parts of the node; a route whose hook is empty answers 404.
struct http_hooks {
  std::function<std::string()> metrics;                // Prometheus text exposition format.
  std::function<caf::expected<std::string>()> report;  // HTML; blocks, so it runs off the I/O.
};

// The config keys http.*.
option_table option_table_of(http_options& x);

// Why `value` is no "IP:PORT" or "[IPv6]:PORT" with a port from 0 to 65535; empty when it is.
std::string bind_problem(const std::string& value);

}  // namespace ordernode
