// The journal's outbox: encoded forwards and results, withdrawals and confirmations.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "actors/journal_outbox.hpp"
#include "runtime/broker/broker_codec.hpp"
#include "tests/support/orders.hpp"

using namespace ordernode;
using ordernode::test::make_order;

TEST_CASE("a forward goes to the orders exchange, keyed by region, with the order's body") {
  journal_outbox outbox{{"orders", "", "node-a"}};
  auto x = make_order("o1", "mouse", 3, "us");
  auto m = outbox.forward(x);
  CHECK(m.exchange == "orders");
  CHECK(m.routing_key == "us");
  CHECK(m.message_id == "o1");
  auto back = decode_order(m.payload);
  REQUIRE(back);
  CHECK(back->id == "o1");
  CHECK(back->quantity == 3);
}

TEST_CASE("results go out only with a results exchange, naming the node") {
  finished_order done{make_order("o2"), order_state::failed, "boom", 42};
  CHECK_FALSE(journal_outbox{{"orders", "", "node-a"}}.result(done));
  auto m = journal_outbox{{"orders", "results", "node-a"}}.result(done);
  REQUIRE(m);
  CHECK(m->exchange == "results");
  CHECK(m->created_at == 42);
  auto result = decode_result(m->payload);
  REQUIRE(result);
  CHECK(result->order_id == "o2");
  CHECK(result->state == order_state::failed);
  CHECK(result->node == "node-a");
}

TEST_CASE("a withdrawal takes out the refused forwards only; confirmations queue deletes") {
  journal_outbox outbox{{"orders", "results", "node-a"}};
  journal_batch batch;
  batch.outbox.push_back(outbox.forward(make_order("a")));
  batch.outbox.push_back(outbox.forward(make_order("b")));
  batch.outbox.push_back(*outbox.result({make_order("a"), order_state::completed, "", 1}));
  outbox.withdraw(batch, {"a"});
  REQUIRE(batch.outbox.size() == 2);
  CHECK(batch.outbox[0].message_id == "b");
  CHECK(batch.outbox[1].exchange == "results");
  outbox.confirm(batch, {7, 9});
  CHECK(batch.published == std::vector<int64_t>{7, 9});
}
