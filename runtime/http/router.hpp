// Which handler serves a request: the route table of the HTTP API and its query parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/http/json_codec.hpp"
#include "runtime/store/journal_reader.hpp"

namespace ordernode {

enum class route {
  healthz,
  readyz,
  metrics,
  report,
  stats,
  cluster,
  list_orders,
  post_order,
  get_order,
  websocket,
  static_file,
};

// A request target split into its percent-decoded path and query parameters.
struct request_target {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
};

// Nothing for a target that is not an absolute path or has broken percent-encoding.
std::optional<request_target> parse_target(std::string_view target);

// The route for `method` on `path`, with the order id of /api/orders/{id} in `param`.
struct route_match {
  route which = route::static_file;
  std::string param;
};

// A route, or 404 for an unknown path, or 405 for a known path with the wrong method (then
// `allow` lists the methods the path takes).
struct routing {
  std::optional<route_match> match;
  api_error error;
  std::string allow;
};

routing route_request(std::string_view method, const std::string& path);

// Reads status, region, limit (1 to `max_limit`) and after (a cursor) of GET /api/orders.
std::optional<api_error> parse_list_query(const request_target& target, size_t max_limit,
                                          order_filter& out);

}  // namespace ordernode
