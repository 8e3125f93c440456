#include "runtime/http/http_options.hpp"

#include <arpa/inet.h>

namespace ordernode {

std::string bind_problem(const std::string& value) {
  auto fail = [&](const std::string& why) {
    return why + ", got \"" + value + "\"";
  };
  auto colon = value.rfind(':');
  if (colon == std::string::npos)
    return fail("must be IP:PORT");
  auto host = value.substr(0, colon);
  auto port = value.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos
      || std::stoi(port) > 65535)
    return fail("needs a port from 0 to 65535");
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  in6_addr buf;
  if (inet_pton(AF_INET, host.c_str(), &buf) != 1 && inet_pton(AF_INET6, host.c_str(), &buf) != 1)
    return fail("needs an IP address such as 127.0.0.1 or [::1] before the port");
  return {};
}

option_table option_table_of(http_options& x) {
  option_table result{"http"};
  result.add(x.enabled, "enabled", "serve the HTTP API, the /ws feed and the web page")
    .add(x.bind, "bind", "host:port the HTTP server listens on (port 0: any free port)")
    .add(x.threads, "threads", "threads of the HTTP server", 1, 64)
    .add(x.body_limit, "body-limit", "largest request body in bytes", 64, int64_t{64} << 20)
    .add(x.request_timeout, "request-timeout", "a request without an answer gets 503 after this",
         span_rule::positive)
    .add(x.idle_timeout, "idle-timeout", "an idle keep-alive connection closes after this",
         span_rule::positive)
    .add(x.retry_after, "retry-after", "seconds in the Retry-After header of a 503", 0, 3600)
    .add(x.list_limit, "list-limit", "most orders in one page of GET /api/orders", 1, 100000)
    .add(x.ws_queue_limit, "ws-queue-limit",
         "bytes a slow WebSocket client may lag behind before it skips ahead", 1024,
         int64_t{1} << 30)
    .add(x.static_dir, "static-dir", "folder of the web page (empty: the one that ships)")
    .add(x.max_connections, "max-connections",
         "most open connections, WebSockets included; one more gets 503 and is closed", 1, 1000000)
    .add(x.ws_max_clients, "ws-max-clients", "most /ws clients; one more upgrade gets 503", 0,
         1000000)
    .rule("bind", [&x] { return bind_problem(x.bind); });
  return result;
}

}  // namespace ordernode
