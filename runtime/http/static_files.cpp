#include "runtime/http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

namespace fs = std::filesystem;

std::string content_type_of(const fs::path& file) {
  auto ext = file.extension().string();
  if (ext == ".html")
    return "text/html; charset=utf-8";
  if (ext == ".js")
    return "text/javascript; charset=utf-8";
  if (ext == ".css")
    return "text/css; charset=utf-8";
  if (ext == ".svg")
    return "image/svg+xml";
  if (ext == ".png")
    return "image/png";
  if (ext == ".ico")
    return "image/x-icon";
  if (ext == ".json")
    return "application/json";
  return "application/octet-stream";
}

bool hidden(const fs::path& rel) {
  for (auto& part : rel)
    if (!part.empty() && part.string().front() == '.')
      return true;
  return false;
}

}  // namespace

caf::expected<static_files> static_files::load(const std::string& root) {
  auto fail = [&](const std::string& why) {
    return make_error(errc::bad_config, "http.static-dir: " + root + ": " + why);
  };
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return fail("not a folder");
  static_files result;
  size_t bytes = 0;
  fs::recursive_directory_iterator i{root, fs::directory_options::none, ec};
  if (ec)
    return fail(ec.message());
  for (; i != fs::recursive_directory_iterator{}; i.increment(ec)) {
    if (ec)
      return fail(ec.message());
    auto rel = fs::relative(i->path(), root, ec);
    if (ec)
      return fail(ec.message());
    if (hidden(rel)) {
      if (i->is_directory(ec))
        i.disable_recursion_pending();
      continue;
    }
    if (i->is_symlink(ec) || !i->is_regular_file(ec))
      continue;
    if (result.files_.size() == max_files)
      return fail("more than " + std::to_string(max_files) + " files");
    std::ifstream in{i->path(), std::ios::binary};
    if (!in)
      return fail("cannot read " + rel.string());
    std::stringstream buf;
    buf << in.rdbuf();
    bytes += buf.str().size();
    if (bytes > max_bytes)
      return fail("more than " + std::to_string(max_bytes >> 20) + " MiB of files");
    result.files_.emplace("/" + rel.generic_string(),
                          static_file{content_type_of(i->path()), buf.str()});
  }
  if (auto index = result.files_.find("/index.html"); index != result.files_.end())
    result.files_.emplace("/", index->second);
  return result;
}

const static_file* static_files::find(std::string_view path) const {
  auto i = files_.find(path);
  return i == files_.end() ? nullptr : &i->second;
}

std::string default_static_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto beside = exe.parent_path() / "web";
    if (fs::is_directory(beside, ec))
      return beside.string();
  }
  return ORDERNODE_STATIC_DIR;
}

}  // namespace ordernode
