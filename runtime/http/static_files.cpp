#include "runtime/http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

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

}  // namespace

std::optional<static_file> load_static_file(const std::string& root, const std::string& path) {
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string::npos
      || path.find('\\') != std::string::npos)
    return std::nullopt;
  fs::path rel = path == "/" ? fs::path{"index.html"} : fs::path{path.substr(1)};
  for (auto& part : rel)
    if (part == ".." || part == "." || (!part.empty() && part.string().front() == '.'))
      return std::nullopt;
  std::error_code ec;
  auto file = fs::path{root} / rel;
  if (!fs::is_regular_file(file, ec))
    return std::nullopt;
  std::ifstream in{file, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::stringstream buf;
  buf << in.rdbuf();
  return static_file{content_type_of(file), buf.str()};
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
