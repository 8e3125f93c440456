#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <string>
#include <tuple>
#include <typeinfo>
#include <vector>

#include <caf/all.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "runtime/node/config.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/core/messages.hpp"
#include "runtime/core/stages.hpp"

using namespace ordernode;

namespace {

auto fields(const order& x) {
  return std::tie(x.id, x.product_name, x.quantity, x.region, x.customer, x.vip, x.created_at);
}

auto fields(const order_event& x) {
  return std::tie(x.order_id, x.state, x.stage, x.detail, x.at);
}

auto fields(const error_report& x) {
  return std::tie(x.order_id, x.stage, x.type, x.cause, x.at);
}

bool same(const order& x, const order& y) {
  return fields(x) == fields(y);
}

bool same(const order_event& x, const order_event& y) {
  return fields(x) == fields(y);
}

bool same(const error_report& x, const error_report& y) {
  return fields(x) == fields(y);
}

bool same(const finished_order& x, const finished_order& y) {
  return same(x.item, y.item) && x.state == y.state && x.detail == y.detail && x.at == y.at;
}

bool same(const stored_order& x, const stored_order& y) {
  return same(x.item, y.item) && x.state == y.state && x.recoveries == y.recoveries;
}

bool same(const totals& x, const totals& y) {
  return x.all == y.all && x.by_region == y.by_region;
}

template <class T>
bool same(const std::vector<T>& xs, const std::vector<T>& ys) {
  if (xs.size() != ys.size())
    return false;
  for (size_t i = 0; i < xs.size(); ++i)
    if (!same(xs[i], ys[i]))
      return false;
  return true;
}

order sample_order() {
  order x;
  x.id = "0b7f3a52-9c1e-4d2a-8f6b-3e5d7c9a1b20";
  x.product_name = "mechanical keyboard \xc3\xa9";
  x.quantity = -42;
  x.region = "eu";
  x.customer = "carol";
  x.vip = true;
  x.created_at = 1764000000123456789;
  return x;
}

struct fixture {
  node_config cfg;
  caf::actor_system sys{cfg};

  template <class T>
  T round_trip(T x) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    auto err = sink(x);
    REQUIRE_MESSAGE(!err, describe(err));
    CHECK_FALSE(buf.empty());
    T y{};
    caf::binary_deserializer source{sys, buf};
    err = source(y);
    REQUIRE_MESSAGE(!err, describe(err));
    CHECK(source.remaining() == 0);
    return y;
  }

  // Serializes `x` inside a type-erased message, as a message to a remote node travels; the
  // receiving side knows the type only by its registered name.
  template <class T>
  T message_round_trip(const T& x) {
    auto msg = caf::make_message(x);
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    auto err = sink(msg);
    REQUIRE_MESSAGE(!err, describe(err));
    caf::message copy;
    caf::binary_deserializer source{sys, buf};
    err = source(copy);
    REQUIRE_MESSAGE(!err, describe(err));
    REQUIRE(copy.match_elements<T>());
    return copy.get_as<T>(0);
  }
};

}  // namespace

TEST_CASE_FIXTURE(fixture, "order survives binary serialization") {
  auto x = sample_order();
  CHECK(same(round_trip(x), x));
  CHECK(same(message_round_trip(x), x));
  order empty;
  CHECK(same(round_trip(empty), empty));
}

TEST_CASE_FIXTURE(fixture, "order_event survives binary serialization") {
  for (auto state : {order_state::received, order_state::shipping, order_state::dead_letter}) {
    order_event x{"id-1", state, stage_id::shipper, "attempt 2", 17};
    CHECK(same(round_trip(x), x));
    CHECK(same(message_round_trip(x), x));
  }
}

TEST_CASE_FIXTURE(fixture, "error_report survives binary serialization") {
  error_report x{"id-2", stage_id::processor, error_type::processing, "processing system failed",
                 -5};
  CHECK(same(round_trip(x), x));
  CHECK(same(message_round_trip(x), x));
  error_report no_order{"", stage_id::journal, error_type::storage, "disk I/O error", 99};
  CHECK(same(round_trip(no_order), no_order));
}

TEST_CASE_FIXTURE(fixture, "finished_order and batches of them survive binary serialization") {
  finished_order x{sample_order(), order_state::failed, "processing: boom", 123};
  CHECK(same(round_trip(x), x));
  CHECK(same(message_round_trip(x), x));
  std::vector<finished_order> batch{
    x, finished_order{sample_order(), order_state::completed, "tracking TRK-1", 124}};
  batch[1].item.id = "other";
  CHECK(same(round_trip(batch), batch));
  CHECK(same(message_round_trip(batch), batch));
}

TEST_CASE_FIXTURE(fixture, "stored_order and batches of them survive binary serialization") {
  stored_order x{sample_order(), order_state::processing, 3};
  CHECK(same(round_trip(x), x));
  CHECK(same(message_round_trip(x), x));
  std::vector<stored_order> batch{x, stored_order{order{}, order_state::received, 0}};
  CHECK(same(round_trip(batch), batch));
  CHECK(same(message_round_trip(batch), batch));
}

TEST_CASE_FIXTURE(fixture, "totals survive binary serialization") {
  totals x;
  x.all = {10, 1234567890123, 2, 3};
  x.by_region["eu"] = {6, 1000, 1, 2};
  x.by_region["us"] = {4, 1234567889123, 1, 1};
  CHECK(same(round_trip(x), x));
  CHECK(same(message_round_trip(x), x));
  CHECK(same(round_trip(totals{}), totals{}));
}

TEST_CASE_FIXTURE(fixture, "order_state and admission survive binary serialization") {
  for (auto state : {order_state::received, order_state::completed, order_state::dead_letter})
    CHECK(round_trip(state) == state);
  CHECK(round_trip(admission::duplicate) == admission::duplicate);
  CHECK(message_round_trip(admission::duplicate) == admission::duplicate);
}

TEST_CASE_FIXTURE(fixture, "a message with an atom and an order survives binary serialization") {
  auto msg = caf::make_message(submit_atom::value, sample_order());
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(msg));
  caf::message copy;
  caf::binary_deserializer source{sys, buf};
  REQUIRE(!source(copy));
  REQUIRE(copy.match_elements<submit_atom, order>());
  CHECK(same(copy.get_as<order>(1), sample_order()));
}

TEST_CASE_FIXTURE(fixture, "the actor system knows every message type by its portable name") {
  auto& types = sys.types();
  auto check_type = [&](const std::type_info& ti, const std::string& name) {
    CAPTURE(name);
    CHECK(types.portable_name(0, &ti) == name);
    auto value = types.make_value(name);
    REQUIRE(value != nullptr);
    CHECK(value->type().second == &ti);
  };
  check_type(typeid(order), "ordernode::order");
  check_type(typeid(order_event), "ordernode::order_event");
  check_type(typeid(error_report), "ordernode::error_report");
  check_type(typeid(finished_order), "ordernode::finished_order");
  check_type(typeid(std::vector<finished_order>), "std::vector<ordernode::finished_order>");
  check_type(typeid(stored_order), "ordernode::stored_order");
  check_type(typeid(std::vector<stored_order>), "std::vector<ordernode::stored_order>");
  check_type(typeid(totals), "ordernode::totals");
  check_type(typeid(order_state), "ordernode::order_state");
  check_type(typeid(admission), "ordernode::admission");
  CHECK(types.make_value("ordernode::no_such_type") == nullptr);
}

TEST_CASE("without node_config's registration an order cannot be deserialized by name") {
  caf::actor_system_config plain;
  caf::actor_system sys{plain};
  CHECK(sys.types().make_value("ordernode::order") == nullptr);
}

TEST_CASE_FIXTURE(fixture, "ordernode errors render through the registered category") {
  auto err = make_error(errc::overloaded, "5 orders in flight");
  CHECK(describe(err) == "overloaded: 5 orders in flight");
  CHECK(sys.render(err) == "overloaded: 5 orders in flight");
  CHECK(describe(make_error(errc::store_failure)) == "store_failure");
}
