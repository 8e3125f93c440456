// The files of the web page, read from a folder with no way out of it.
#pragma once

#include <optional>
#include <string>

namespace ordernode {

struct static_file {
  std::string content_type;
  std::string body;
};

// The file at URL path `path` under `root` ("/" is index.html); nothing for a missing file, a
// folder, or a path that tries to leave `root`.
std::optional<static_file> load_static_file(const std::string& root, const std::string& path);

// The page's folder when http.static-dir is empty: `web/` beside the binary if it exists,
// else the folder in the source tree the binary was built from.
std::string default_static_dir();

}  // namespace ordernode
