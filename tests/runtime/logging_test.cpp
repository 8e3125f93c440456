// The node's log: one line per message, whatever the message holds.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "runtime/node/logging.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode;

TEST_CASE("control characters are escaped, so a message cannot forge a log line") {
  std::string out;
  append_escaped(std::string{"a\nb\r\tc\x1b[31m\x7f\0z", 14}, out);
  CHECK(out == "a\\nb\\r\\tc\\x1b[31m\\x7f\\x00z");
  out.clear();
  append_escaped("keyboard \xc3\xa9 \\n", out);
  CHECK(out == "keyboard \xc3\xa9 \\n");
}

TEST_CASE("the log file gets one line per message with the product name escaped") {
  test::temp_dir dir;
  auto file = (dir.path() / "node.log").string();
  REQUIRE_FALSE(setup_logging("info", file));
  std::string product = "kb\n2026-01-01T00:00:00.000000Z critical forged line\r\n";
  spdlog::info("order {}: ({}) completed", "id-1", product);
  spdlog::default_logger()->flush();
  std::ifstream in{file};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(" info order id-1: (kb\\n2026-01-01T00:00:00.000000Z critical forged "
                      "line\\r\\n) completed")
        != std::string::npos);
  spdlog::shutdown();
}
