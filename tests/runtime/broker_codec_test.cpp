#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/broker/broker_codec.hpp"
#include "runtime/core/errors.hpp"

using namespace ordernode;

namespace {

std::string codec_refusal(const std::string& body) {
  auto x = decode_order(body);
  REQUIRE_FALSE(x);
  return describe(x.error());
}

const char* valid = R"({"id":"a-1","productName":"keyboard","quantity":2,"region":"eu",)"
                    R"("customer":"alice","vip":true,"createdAt":17})";

}  // namespace

TEST_CASE("an order survives encode and decode") {
  order x{"6f1c0d4e-1111-4a2b-8c3d-000000000001", "desk \"oak\"", -3, "eu", "bob", true, 42};
  auto y = decode_order(encode_order(x));
  REQUIRE(y);
  CHECK(y->id == x.id);
  CHECK(y->product_name == x.product_name);
  CHECK(y->quantity == -3);
  CHECK(y->region == "eu");
  CHECK(y->customer == "bob");
  CHECK(y->vip);
  CHECK(y->created_at == 42);
  CHECK(decode_order(valid));
}

TEST_CASE("a body that is no order is refused with the field it gets wrong") {
  CHECK(codec_refusal("").find("malformed JSON") != std::string::npos);
  CHECK(codec_refusal("[1, 2]").find("not a JSON object") != std::string::npos);
  CHECK(codec_refusal(R"({"id": 42})").find("'id' must be a string") != std::string::npos);
  CHECK(codec_refusal(R"({"id": ""})").find("'id' is empty") != std::string::npos);
  auto with = [](const std::string& field, const std::string& value) {
    auto doc = std::string{valid};
    auto at = doc.find("\"" + field + "\":");
    REQUIRE(at != std::string::npos);
    auto begin = at + field.size() + 3;
    auto end = doc.find_first_of(",}", begin);
    return doc.substr(0, begin) + value + doc.substr(end);
  };
  CHECK(codec_refusal(with("quantity", "\"2\"")).find("'quantity' must be an integer")
        != std::string::npos);
  CHECK(codec_refusal(with("quantity", "2.5")).find("'quantity' must be an integer")
        != std::string::npos);
  CHECK(codec_refusal(with("quantity", "4294967296")).find("'quantity' is out of range")
        != std::string::npos);
  CHECK(codec_refusal(with("vip", "1")).find("'vip' must be true or false") != std::string::npos);
  CHECK(codec_refusal(with("customer", R"("a\u0000b")")).find("U+0000") != std::string::npos);
  CHECK(codec_refusal(with("region", "null")).find("'region' must be a string")
        != std::string::npos);
  CHECK(codec_refusal(std::string{valid}.replace(1, 4, R"("idx")")).find("'idx' is unknown")
        != std::string::npos);
  CHECK(codec_refusal(R"({"id":"a","productName":"k","quantity":1,"region":"eu","customer":"c"})")
          .find("'vip' is missing")
        != std::string::npos);
}

TEST_CASE("a result survives encode and decode; only final states are results") {
  finished_order x{order{"o-1", "mouse", 1, "us", "carol", false, 5}, order_state::failed,
                   "shipping: carrier down", 99};
  auto y = decode_result(encode_result(x, "node-a"));
  REQUIRE(y);
  CHECK(y->order_id == "o-1");
  CHECK(y->state == order_state::failed);
  CHECK(y->detail == "shipping: carrier down");
  CHECK(y->node == "node-a");
  CHECK(y->at == 99);
  CHECK_FALSE(decode_result(
    R"({"orderId":"o","state":"processing","detail":"","region":"eu","node":"n","at":1})"));
}

TEST_CASE("the trace id is the order id's hex digits") {
  CHECK(trace_id_of("6f1c0d4e-1111-4a2b-8c3d-000000000001") == "6f1c0d4e11114a2b8c3d000000000001");
}
