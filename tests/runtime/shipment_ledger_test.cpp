// The mock carrier's shared ledger: each order shipped once across every process that shares it.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>

#include "runtime/core/errors.hpp"
#include "runtime/external/shipment_ledger.hpp"
#include "runtime/external/shipping_system.hpp"
#include "tests/support/node_output.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode;
using namespace ordernode::test;

TEST_CASE("a second ledger on the same file sees the first one's shipments") {
  temp_dir dir;
  auto path = dir.path().string() + "/ledger";
  auto a = shipment_ledger::open(path);
  auto b = shipment_ledger::open(path);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*(*a)->record("o1", "T1") == "T1");
  CHECK(*(*b)->find("o1") == "T1");
  CHECK(*(*b)->record("o1", "T2") == "T1");
  CHECK((*a)->find("o2")->empty());
  CHECK(ledger_counts(path) == std::map<std::string, int>{{"o1", 1}});
}

TEST_CASE("processes shipping the same orders at once write each order once") {
  temp_dir dir;
  auto path = dir.path().string() + "/ledger";
  constexpr int processes = 4;
  constexpr int orders = 2000;
  int start[2];
  REQUIRE(pipe(start) == 0);
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    auto pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(start[1]);
      auto ledger = shipment_ledger::open(path);
      char go;
      if (!ledger || read(start[0], &go, 1) != 0)  // All start when the parent closes the pipe.
        _exit(3);
      for (int i = 0; i < orders; ++i) {
        auto id = "o" + std::to_string(i);
        auto tracking = (*ledger)->record(id, "T" + std::to_string(p) + "-" + id);
        if (!tracking)
          _exit(4);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  close(start[0]);
  close(start[1]);
  for (auto pid : children) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto seen = ledger_counts(path);
  CHECK(seen.size() == orders);
  for (auto& [id, n] : seen)
    CHECK_MESSAGE(n == 1, id);
}

TEST_CASE("the mock carrier answers a shipped order with its first tracking number") {
  temp_dir dir;
  mock_shipping_options options;
  options.failure_rate = 0;
  options.ledger = dir.path().string() + "/ledger";
  auto a = make_mock_shipping(options);
  options.failure_rate = 1;  // A second node whose carrier always fails a new shipment.
  auto b = make_mock_shipping(options);
  auto x = new_order("desk", 1, "eu");
  auto first = a->ship(x, 1);
  REQUIRE(first);
  auto again = b->ship(x, 1);
  REQUIRE(again);
  CHECK(*again == *first);
  CHECK(!b->ship(new_order("lamp", 1, "eu"), 1));
  options.ledger = dir.path().string() + "/missing/ledger";
  CHECK(!open_mock_shipping(options));
}
