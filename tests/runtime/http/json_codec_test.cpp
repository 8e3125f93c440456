// The JSON codec of the HTTP API: order requests, validation, idempotency ids, encodings.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "runtime/http/json_codec.hpp"

using namespace ordernode;
using json = nlohmann::json;

namespace {

std::optional<api_error> parse(const std::string& body, order& out) {
  return parse_order(body, out);
}

std::set<std::string> regions() {
  return {"eu", "us"};
}

order valid() {
  order x;
  x.id = "id-1";
  x.product_name = "keyboard";
  x.quantity = 2;
  x.region = "eu";
  x.customer = "alice";
  return x;
}

}  // namespace

TEST_CASE("a complete request becomes an order") {
  order x;
  auto err =
    parse(R"({"productName":"kb","quantity":3,"region":"us","customer":"bob","vip":true})", x);
  REQUIRE_FALSE(err);
  CHECK(x.product_name == "kb");
  CHECK(x.quantity == 3);
  CHECK(x.region == "us");
  CHECK(x.customer == "bob");
  CHECK(x.vip);
  CHECK(x.id.empty());
}

TEST_CASE("vip is optional and false by default") {
  order x;
  x.vip = true;
  REQUIRE_FALSE(parse(R"({"productName":"kb","quantity":3,"region":"us","customer":"bob"})", x));
  CHECK_FALSE(x.vip);
}

TEST_CASE("malformed requests are 400 errors naming the field") {
  struct expectation {
    std::string body;
    std::string error;
    std::string field;
  };
  std::vector<expectation> cases{
    {"", "invalid_json", ""},
    {"{", "invalid_json", ""},
    {"null", "wrong_type", ""},
    {"[]", "wrong_type", ""},
    {R"({"quantity":1,"region":"eu","customer":"a"})", "missing_field", "productName"},
    {R"({"productName":1,"quantity":1,"region":"eu","customer":"a"})", "wrong_type", "productName"},
    {R"({"productName":"p","region":"eu","customer":"a"})", "missing_field", "quantity"},
    {R"({"productName":"p","quantity":true,"region":"eu","customer":"a"})", "wrong_type",
     "quantity"},
    {R"({"productName":"p","quantity":2.5,"region":"eu","customer":"a"})", "wrong_type",
     "quantity"},
    {R"({"productName":"p","quantity":1,"customer":"a"})", "missing_field", "region"},
    {R"({"productName":"p","quantity":1,"region":"eu","customer":[]})", "wrong_type", "customer"},
    {R"({"productName":"p\u0000q","quantity":1,"region":"eu","customer":"a"})", "invalid_text",
     "productName"},
    {R"({"productName":"p","quantity":1,"region":"eu","customer":"a","vip":1})", "wrong_type",
     "vip"},
    {R"({"productName":"p","quantity":1,"region":"eu","customer":"a","id":"x"})", "unknown_field",
     "id"},
  };
  for (auto& c : cases) {
    CAPTURE(c.body);
    order x;
    auto err = parse(c.body, x);
    REQUIRE(err);
    CHECK(err->status == 400);
    CHECK(err->error == c.error);
    CHECK(err->field == c.field);
    CHECK_FALSE(err->message.empty());
  }
}

TEST_CASE("anything after the JSON value but whitespace is refused, a NUL byte too") {
  std::string good = R"({"productName":"p","quantity":1,"region":"eu","customer":"a"})";
  order x;
  REQUIRE_FALSE(parse(good + " \r\n\t", x));
  for (auto tail : {std::string{"\0", 1}, std::string{"\0garbage", 8}, std::string{"x"},
                    std::string{"{}"}, std::string{" 1"}, std::string{"\n\0", 2}}) {
    CAPTURE(tail);
    auto err = parse(good + tail, x);
    REQUIRE(err);
    CHECK(err->status == 400);
    CHECK(err->error == "invalid_json");
  }
  auto inside = parse(
    std::string{R"({"productName":"a)"} + '\0' + R"(b","quantity":1,"region":"eu","customer":"a"})",
    x);
  REQUIRE(inside);
  CHECK(inside->error == "invalid_json");
}

TEST_CASE("nesting deeper than max_json_depth is refused before parsing") {
  CHECK(nesting_depth(R"({"a":[1,{"b":2}]})") == 3);
  CHECK(nesting_depth(R"({"a":"[[[[{{{{\"[["})") == 1);
  CHECK(nesting_depth("]]]][") == 1);
  order x;
  auto deep = std::string(max_json_depth + 1, '[') + std::string(max_json_depth + 1, ']');
  auto err = parse(deep, x);
  REQUIRE(err);
  CHECK(err->error == "invalid_json");
  CHECK(err->message.find("deeper") != std::string::npos);
  auto flood = std::string(size_t{10} << 20, '[');
  err = parse(flood, x);
  REQUIRE(err);
  CHECK(err->message.find("deeper") != std::string::npos);
  auto fine = std::string(max_json_depth, '[') + std::string(max_json_depth, ']');
  err = parse(fine, x);
  REQUIRE(err);
  CHECK(err->error == "wrong_type");
}

TEST_CASE("quantities beyond 32 bits saturate and then fail validation") {
  order x;
  REQUIRE_FALSE(
    parse(R"({"productName":"p","quantity":99999999999,"region":"eu","customer":"a"})", x));
  CHECK(x.quantity == std::numeric_limits<int32_t>::max());
  REQUIRE_FALSE(
    parse(R"({"productName":"p","quantity":-99999999999,"region":"eu","customer":"a"})", x));
  CHECK(x.quantity == std::numeric_limits<int32_t>::min());
}

TEST_CASE("validation: the API applies the validator's rules and names the field") {
  order_rules rules;
  CHECK_FALSE(validate_order(valid(), rules, regions()));
  auto with = [](auto change) {
    auto x = valid();
    change(x);
    return x;
  };
  auto empty_name = validate_order(with([](order& x) { x.product_name = " "; }), rules, regions());
  REQUIRE(empty_name);
  CHECK(empty_name->status == 422);
  CHECK(empty_name->field == "productName");
  auto region = validate_order(with([](order& x) { x.region = "mars"; }), rules, regions());
  REQUIRE(region);
  CHECK(region->field == "region");
  auto negative = validate_order(with([](order& x) { x.quantity = -1; }), rules, regions());
  REQUIRE(negative);
  CHECK(negative->field == "quantity");
  // The seed's rule: quantity 0 is a valid order; a customer only when the config asks.
  CHECK_FALSE(validate_order(with([](order& x) { x.quantity = 0; }), rules, regions()));
  auto no_customer = with([](order& x) { x.customer = ""; });
  CHECK_FALSE(validate_order(no_customer, rules, regions()));
  rules.require_customer = true;
  auto customer = validate_order(no_customer, rules, regions());
  REQUIRE(customer);
  CHECK(customer->field == "customer");
}

TEST_CASE("idempotency keys map to stable name-based UUIDs") {
  auto a = order_id_for_key("key-1");
  CHECK(a.size() == 36);
  CHECK(a[14] == '5');
  CHECK(a == order_id_for_key("key-1"));
  CHECK(a != order_id_for_key("key-2"));
  CHECK_FALSE(check_idempotency_key("abc-123_XYZ"));
  CHECK(check_idempotency_key(""));
  CHECK(check_idempotency_key("has space"));
  CHECK(check_idempotency_key(std::string(256, 'k')));
  CHECK_FALSE(check_idempotency_key(std::string(255, 'k')));
}

TEST_CASE("errors, records, listings and changes encode as the API documents") {
  auto err = json::parse(to_json({422, "validation", "quantity", "too small"}));
  CHECK(err == json{{"error", "validation"}, {"field", "quantity"}, {"message", "too small"}});
  CHECK(json::parse(to_json({404, "not_found", "", "gone"}))["field"].is_null());
  order_record r;
  r.seq = 7;
  r.item = valid();
  r.state = order_state::failed;
  r.detail = "carrier down";
  r.history = {{order_state::received, "intake", "", 1'000'000},
               {order_state::failed, "shipper", "carrier down", 2'000'000}};
  auto doc = record_json(r);
  CHECK(doc["id"] == "id-1");
  CHECK(doc["status"] == "failed");
  CHECK(doc["history"].size() == 2);
  CHECK(doc["history"][0]["state"] == "received");
  CHECK(doc["history"][1]["detail"] == "carrier down");
  CHECK(doc["history"][0]["at"] == "1970-01-01T00:00:00.001Z");
  auto full = json::parse(listing_json({r, r}, 2));
  CHECK(full["next"] == "7");
  auto last = json::parse(listing_json({r}, 2));
  CHECK(last["next"].is_null());
  order_change c{order_event{"id-1", order_state::shipping, stage_id::shipper, "", 5'000'000},
                 "kb",
                 "eu",
                 "al",
                 1,
                 true};
  auto changes = json::parse(changes_json({c}));
  CHECK(changes["type"] == "changes");
  CHECK(changes["changes"][0]["state"] == "shipping");
  CHECK(changes["changes"][0]["vip"] == true);
  CHECK(changes["changes"][0]["at"] == 5);
}

TEST_CASE("a 202 names the order's status URL, unless the order went to the broker") {
  auto local = json::parse(accepted_json("id-1", true));
  CHECK(local["status"] == "received");
  CHECK(local["statusUrl"] == "/api/orders/id-1");
  CHECK(local["replayed"] == true);
  auto forwarded = json::parse(accepted_json("id-2", false, true));
  CHECK(forwarded["id"] == "id-2");
  CHECK(forwarded["status"] == "forwarded");
  CHECK_FALSE(forwarded.contains("statusUrl"));
}
