// Serving the web page's files without a way out of their folder.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <fstream>

#include "runtime/http/static_files.hpp"
#include "tests/temp_dir.hpp"

using namespace ordernode;

TEST_CASE("files come with their content type; / is index.html") {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path() / "web" / "js");
  std::ofstream{dir.path() / "web" / "index.html"} << "<html>";
  std::ofstream{dir.path() / "web" / "js" / "app.js"} << "1;";
  std::ofstream{dir.path() / "secret.txt"} << "no";
  auto root = (dir.path() / "web").string();
  auto index = load_static_file(root, "/");
  REQUIRE(index);
  CHECK(index->body == "<html>");
  CHECK(index->content_type == "text/html; charset=utf-8");
  auto js = load_static_file(root, "/js/app.js");
  REQUIRE(js);
  CHECK(js->content_type == "text/javascript; charset=utf-8");
  CHECK_FALSE(load_static_file(root, "/missing.html"));
  CHECK_FALSE(load_static_file(root, "/js"));
  CHECK_FALSE(load_static_file(root, "/../secret.txt"));
  CHECK_FALSE(load_static_file(root, "/js/../../secret.txt"));
  CHECK_FALSE(load_static_file(root, "/.hidden"));
  CHECK_FALSE(load_static_file(root, std::string{"/index.html\0x", 13}));
  CHECK_FALSE(load_static_file(root, "index.html"));
}

TEST_CASE("the page that ships is found without configuration") {
  auto dir = default_static_dir();
  CHECK(load_static_file(dir, "/"));
  CHECK(load_static_file(dir, "/app.js"));
  CHECK(load_static_file(dir, "/style.css"));
}
