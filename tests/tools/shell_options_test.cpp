#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"
#include "tools/shell/shell_options.hpp"

using namespace ordernode;
using ordernode::test::temp_dir;

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
  CHECK(x->token.empty());
  CHECK(x->token_file == "ordernode-admin.token");
  CHECK_FALSE(x->token_file_given);
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

TEST_CASE("the token comes from --token, --token-file, ORDERNODE_ADMIN_TOKEN, the default file") {
  std::string error;
  CHECK(parse({}, "from-env", error)->token == "from-env");
  CHECK(parse({"--token", "flag"}, "from-env", error)->token == "flag");
  CHECK(parse({}, "", error)->token.empty());
  auto file = parse({"--token-file=/x/node.token"}, "from-env", error);
  REQUIRE(file);
  CHECK(file->token.empty());
  CHECK(file->token_file == "/x/node.token");
  CHECK(file->token_file_given);
  CHECK(parse({"--token-file", "/x/node.token", "--token", "flag"}, nullptr, error)->token
        == "flag");
}

TEST_CASE("resolve_shell_token reads the token file unless a token is given") {
  temp_dir dir;
  auto path = dir.write("node.token", "c0ffee\n");
  auto missing_path = dir.file("missing.token");
  std::string error;
  auto given = parse({"--token", "flag", "--token-file", path.c_str()}, nullptr, error);
  CHECK(resolve_shell_token(*given, error) == "flag");
  auto from_file = parse({"--token-file", path.c_str()}, "from-env", error);
  CHECK(resolve_shell_token(*from_file, error) == "c0ffee");
  auto missing = parse({"--token-file", missing_path.c_str()}, nullptr, error);
  CHECK_FALSE(resolve_shell_token(*missing, error));
  CHECK(error.find("missing.token") != std::string::npos);
  // No token anywhere: an empty one, which the node refuses with a hint.
  shell_options none;
  none.token_file = dir.file("ordernode-admin.token");
  CHECK(resolve_shell_token(none, error) == "");
  none.token_file = path;
  CHECK(resolve_shell_token(none, error) == "c0ffee");
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
  CHECK_FALSE(parse({"--token-file="}, nullptr, error));
}
