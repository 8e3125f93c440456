// Serving the web page's files from a table built at start, and nothing else on the disk.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <fstream>

#include "runtime/http/static_files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode;
namespace fs = std::filesystem;

namespace {

struct web_folder {
  web_folder() {
    fs::create_directories(root / "js");
    fs::create_directories(root / ".git");
    std::ofstream{root / "index.html"} << "<html>";
    std::ofstream{root / "js" / "app.js"} << "1;";
    std::ofstream{root / ".hidden"} << "no";
    std::ofstream{root / ".git" / "config"} << "no";
    std::ofstream{dir.path() / "secret.txt"} << "no";
    fs::create_symlink(dir.path() / "secret.txt", root / "link.txt");
    fs::create_symlink("/etc", root / "etc");
  }

  test::temp_dir dir;
  fs::path root = dir.path() / "web";
};

}  // namespace

TEST_CASE("files come with their content type; / is index.html") {
  web_folder web;
  auto files = static_files::load(web.root.string());
  REQUIRE(files);
  auto* index = files->find("/");
  REQUIRE(index);
  CHECK(index->body == "<html>");
  CHECK(index->content_type == "text/html; charset=utf-8");
  REQUIRE(files->find("/index.html"));
  auto* js = files->find("/js/app.js");
  REQUIRE(js);
  CHECK(js->content_type == "text/javascript; charset=utf-8");
  CHECK(files->size() == 3);
}

TEST_CASE("a path that is not exactly a file of the table finds nothing") {
  web_folder web;
  auto files = static_files::load(web.root.string());
  REQUIRE(files);
  for (std::string path : {"/missing.html",
                           "/js",
                           "/js/",
                           "/../secret.txt",
                           "/js/../../secret.txt",
                           "/.hidden",
                           "/.git/config",
                           "index.html",
                           "",
                           "//etc/passwd",
                           "////etc//passwd",
                           "/etc/passwd",
                           "//proc/self/cmdline",
                           "//proc/self/cwd/ordernode.db",
                           "/link.txt",
                           "/etc/hostname",
                           "//index.html",
                           "/./index.html",
                           "/js/../index.html",
                           "/js//app.js",
                           "/INDEX.HTML",
                           "/index.html/",
                           "/index.html%00"}) {
    INFO(path);
    CHECK(files->find(path) == nullptr);
  }
  CHECK(files->find(std::string{"/index.html\0x", 13}) == nullptr);
  auto absolute = (web.dir.path() / "secret.txt").string();
  CHECK(files->find(absolute) == nullptr);
  CHECK(files->find("/" + absolute) == nullptr);
}

TEST_CASE("a folder that cannot be read is an error naming http.static-dir") {
  test::temp_dir dir;
  auto missing = static_files::load((dir.path() / "nope").string());
  REQUIRE_FALSE(missing);
  std::ofstream{dir.path() / "file"} << "x";
  CHECK_FALSE(static_files::load((dir.path() / "file").string()));
}

TEST_CASE("the page that ships is found without configuration") {
  auto files = static_files::load(default_static_dir());
  REQUIRE(files);
  CHECK(files->find("/"));
  CHECK(files->find("/app.js"));
  CHECK(files->find("/style.css"));
}
