#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "runtime/admin/admin_token.hpp"
#include "runtime/core/errors.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("the token file lives next to the journal") {
  CHECK(default_admin_token_file("/var/lib/ordernode/orders.db")
        == "/var/lib/ordernode/ordernode-admin.token");
  CHECK(default_admin_token_file("ordernode.db") == "ordernode-admin.token");
  CHECK(default_admin_token_file("data/j.db") == "data/ordernode-admin.token");
}

TEST_CASE("a generated token is 128 random bits in hex") {
  auto a = generate_admin_token();
  auto b = generate_admin_token();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->size() == 32);
  CHECK(a->find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(*a != *b);
}

TEST_CASE("the first start writes the token with mode 0600, later starts reuse it") {
  temp_dir dir;
  auto path = dir.file("ordernode-admin.token");
  auto first = load_or_create_admin_token(path);
  REQUIRE_MESSAGE(first, describe(first.error()));
  CHECK(first->size() == 32);
  CHECK(mode_of(path) == 0600);
  auto again = load_or_create_admin_token(path);
  REQUIRE(again);
  CHECK(*again == *first);
  auto read = read_admin_token(path);
  REQUIRE(read);
  CHECK(*read == *first);
}

TEST_CASE("a token file others may read is refused, an empty or missing one is an error") {
  temp_dir dir;
  auto path = dir.file("shared.token");
  std::ofstream{path} << "  s3cret-token\n";
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  auto refused = load_or_create_admin_token(path);
  REQUIRE_FALSE(refused);
  CHECK(describe(refused.error()).find("mode 0644") != std::string::npos);
  auto trimmed = read_admin_token(path);
  REQUIRE(trimmed);
  CHECK(*trimmed == "s3cret-token");
  REQUIRE(chmod(path.c_str(), 0600) == 0);
  CHECK(*load_or_create_admin_token(path) == "s3cret-token");
  auto empty = dir.file("empty.token");
  std::ofstream{empty} << "\n";
  CHECK_FALSE(read_admin_token(empty));
  CHECK_FALSE(read_admin_token(dir.file("missing.token")));
  CHECK_FALSE(load_or_create_admin_token(dir.file("no/such/folder/x.token")));
}
