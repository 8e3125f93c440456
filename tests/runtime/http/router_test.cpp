// The route table and the query parameters of the HTTP API.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/http/router.hpp"

using namespace ordernode;

TEST_CASE("targets split into a decoded path and query parameters") {
  auto t = parse_target("/api/orders?status=failed&region=e%75+x&&limit=5");
  REQUIRE(t);
  CHECK(t->path == "/api/orders");
  REQUIRE(t->query.size() == 3);
  CHECK(t->query[1] == std::pair<std::string, std::string>{"region", "eu x"});
  CHECK_FALSE(parse_target("api/orders"));
  CHECK_FALSE(parse_target(""));
  CHECK_FALSE(parse_target("/a%2"));
  CHECK_FALSE(parse_target("/a?x=%g1"));
}

TEST_CASE("each path has its methods") {
  CHECK(route_request("GET", "/healthz").match->which == route::healthz);
  CHECK(route_request("HEAD", "/readyz").match->which == route::readyz);
  CHECK(route_request("GET", "/api/orders").match->which == route::list_orders);
  CHECK(route_request("POST", "/api/orders").match->which == route::post_order);
  auto one = route_request("GET", "/api/orders/abc");
  CHECK(one.match->which == route::get_order);
  CHECK(one.match->param == "abc");
  CHECK(route_request("GET", "/api/stats").match->which == route::stats);
  CHECK(route_request("GET", "/metrics").match->which == route::metrics);
  CHECK(route_request("GET", "/api/report").match->which == route::report);
  CHECK(route_request("GET", "/ws").match->which == route::websocket);
  CHECK(route_request("GET", "/").match->which == route::static_file);
  CHECK(route_request("GET", "/app.js").match->which == route::static_file);
}

TEST_CASE("unknown paths are 404, wrong methods 405 with the allowed ones") {
  auto unknown = route_request("GET", "/api/nope");
  CHECK_FALSE(unknown.match);
  CHECK(unknown.error.status == 404);
  CHECK(route_request("GET", "/api/orders/a/b").error.status == 404);
  auto put = route_request("PUT", "/api/orders");
  CHECK_FALSE(put.match);
  CHECK(put.error.status == 405);
  CHECK(put.allow == "GET, HEAD, POST");
  CHECK(route_request("DELETE", "/api/orders/x").error.status == 405);
  CHECK(route_request("POST", "/healthz").allow == "GET, HEAD");
  CHECK(route_request("POST", "/index.html").error.status == 405);
}

TEST_CASE("listing parameters are checked") {
  auto filter_of = [](const std::string& target, order_filter& f) {
    auto t = parse_target(target);
    REQUIRE(t);
    return parse_list_query(*t, 100, f);
  };
  order_filter f;
  CHECK_FALSE(filter_of("/api/orders?status=failed&region=eu&limit=7&after=42", f));
  CHECK(f.state == order_state::failed);
  CHECK(f.region == "eu");
  CHECK(f.limit == 7);
  CHECK(f.after == 42);
  order_filter any;
  CHECK_FALSE(filter_of("/api/orders?status=", any));
  CHECK_FALSE(any.state);
  for (auto bad : {"status=lost", "limit=0", "limit=101", "limit=x", "limit=5x", "after=-1",
                   "after=", "color=red"}) {
    CAPTURE(bad);
    order_filter g;
    auto err = filter_of(std::string{"/api/orders?"} + bad, g);
    REQUIRE(err);
    CHECK(err->status == 400);
    CHECK(err->error == "invalid_parameter");
  }
}
