#include "runtime/http/router.hpp"

#include <charconv>

#include "runtime/core/order_state.hpp"

namespace ordernode {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view x, bool plus_is_space) {
  std::string result;
  result.reserve(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] == '%') {
      if (i + 2 >= x.size())
        return std::nullopt;
      auto hi = hex_value(x[i + 1]);
      auto lo = hex_value(x[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      result.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (x[i] == '+' && plus_is_space) {
      result.push_back(' ');
    } else {
      result.push_back(x[i]);
    }
  }
  return result;
}

routing found(route which, std::string param = {}) {
  return {route_match{which, std::move(param)}, {}, {}};
}

routing not_found(const std::string& path) {
  return {std::nullopt, {404, "not_found", "", "no resource at " + path}, {}};
}

routing wrong_method(std::string_view method, std::string allow) {
  return {std::nullopt,
          {405, "method_not_allowed", "",
           std::string{method} + " is not allowed here; allowed: " + allow},
          std::move(allow)};
}

std::optional<int64_t> to_int(const std::string& x) {
  int64_t result = 0;
  auto [end, ec] = std::from_chars(x.data(), x.data() + x.size(), result);
  if (x.empty() || ec != std::errc{} || end != x.data() + x.size())
    return std::nullopt;
  return result;
}

api_error bad_parameter(const std::string& name, std::string message) {
  return {400, "invalid_parameter", name, std::move(message)};
}

}  // namespace

std::optional<request_target> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/')
    return std::nullopt;
  request_target result;
  auto q = target.find('?');
  auto path = percent_decode(target.substr(0, q), false);
  if (!path)
    return std::nullopt;
  result.path = std::move(*path);
  if (q == std::string_view::npos)
    return result;
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value =
      percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value)
      return std::nullopt;
    result.query.emplace_back(std::move(*key), std::move(*value));
  }
  return result;
}

routing route_request(std::string_view method, const std::string& path) {
  auto get = method == "GET" || method == "HEAD";
  auto only_get = [&](route which) {
    return get ? found(which) : wrong_method(method, "GET, HEAD");
  };
  if (path == "/healthz")
    return only_get(route::healthz);
  if (path == "/readyz")
    return only_get(route::readyz);
  if (path == "/metrics")
    return only_get(route::metrics);
  if (path == "/ws")
    return method == "GET" ? found(route::websocket) : wrong_method(method, "GET");
  if (path == "/api/report")
    return only_get(route::report);
  if (path == "/api/stats")
    return only_get(route::stats);
  if (path == "/api/cluster")
    return only_get(route::cluster);
  if (path == "/api/orders" || path == "/api/orders/") {
    if (get)
      return found(route::list_orders);
    if (method == "POST")
      return found(route::post_order);
    return wrong_method(method, "GET, HEAD, POST");
  }
  static const std::string orders_prefix = "/api/orders/";
  if (path.rfind(orders_prefix, 0) == 0) {
    auto id = path.substr(orders_prefix.size());
    if (id.find('/') != std::string::npos)
      return not_found(path);
    return get ? found(route::get_order, std::move(id)) : wrong_method(method, "GET, HEAD");
  }
  if (path == "/api" || path.rfind("/api/", 0) == 0)
    return not_found(path);
  return only_get(route::static_file);
}

std::optional<api_error> parse_list_query(const request_target& target, size_t max_limit,
                                          order_filter& out) {
  for (auto& [key, value] : target.query) {
    if (key == "status") {
      if (value.empty())
        continue;
      out.state = parse_order_state(value);
      if (!out.state)
        return bad_parameter(key, "unknown status '" + value + "'");
    } else if (key == "region") {
      out.region = value;
    } else if (key == "limit") {
      auto n = to_int(value);
      if (!n || *n < 1 || static_cast<uint64_t>(*n) > max_limit)
        return bad_parameter(key,
                             "limit must be an integer from 1 to " + std::to_string(max_limit));
      out.limit = static_cast<size_t>(*n);
    } else if (key == "after") {
      auto n = to_int(value);
      if (!n || *n < 0)
        return bad_parameter(key, "after must be a cursor (a non-negative integer)");
      out.after = *n;
    } else {
      return bad_parameter(key, "unknown parameter " + key);
    }
  }
  return std::nullopt;
}

}  // namespace ordernode
