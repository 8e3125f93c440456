#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tools/shell/shell_options.hpp"

using namespace ordernode;

namespace {

std::optional<shell_options> parse(std::vector<const char*> args, const char* env,
                                   std::string& error) {
  args.insert(args.begin(), "ordernode-shell");
  return parse_shell_options(static_cast<int>(args.size()), args.data(), env, error);
}

}  // namespace

TEST_CASE("without flags the shell attaches to the node's defaults") {
  std::string error;
  auto x = parse({}, nullptr, error);
  REQUIRE(x);
  CHECK(x->host == "127.0.0.1");
  CHECK(x->port == 4242);
  CHECK(x->token == "ordernode-admin");
  CHECK_FALSE(x->exec);
  CHECK_FALSE(x->help);
}

TEST_CASE("flags take their value after a blank or an equals sign") {
  std::string error;
  auto x = parse({"--host", "node1", "--port=5000", "--token", "s3", "--exec=orders failed"},
                 nullptr, error);
  REQUIRE_MESSAGE(x, error);
  CHECK(x->host == "node1");
  CHECK(x->port == 5000);
  CHECK(x->token == "s3");
  CHECK(*x->exec == "orders failed");
  CHECK(parse({"--help"}, nullptr, error)->help);
}

TEST_CASE("the token comes from the flag, else ORDERNODE_ADMIN_TOKEN") {
  std::string error;
  CHECK(parse({}, "from-env", error)->token == "from-env");
  CHECK(parse({"--token", "flag"}, "from-env", error)->token == "flag");
  CHECK(parse({}, "", error)->token == "ordernode-admin");
}

TEST_CASE("a bad command line is an error that names the problem") {
  std::string error;
  CHECK_FALSE(parse({"--port", "0"}, nullptr, error));
  CHECK(error.find("--port") != std::string::npos);
  CHECK_FALSE(parse({"--port=65536"}, nullptr, error));
  CHECK_FALSE(parse({"--port", "42x"}, nullptr, error));
  CHECK_FALSE(parse({"--exec"}, nullptr, error));
  CHECK(error == "--exec needs a value");
  CHECK_FALSE(parse({"--verbose"}, nullptr, error));
  CHECK(error == "unknown argument --verbose");
  CHECK_FALSE(parse({"--host="}, nullptr, error));
}
