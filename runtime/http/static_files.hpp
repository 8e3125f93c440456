// The files of the web page: read once at start into a fixed table, so that a request can name
// only a file that ships and never reach anything else on the disk.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace ordernode {

struct static_file {
  std::string content_type;
  std::string body;
};

class static_files {
public:
  // Bounds of what load() takes in.
  static constexpr size_t max_files = 1000;
  static constexpr size_t max_bytes = size_t{64} << 20;

  // Reads every regular file below `root`, skipping symbolic links and names starting with a
  // dot; each is served at "/" + its path relative to `root`, and index.html also at "/".
  static caf::expected<static_files> load(const std::string& root);

  // The file at the decoded URL path `path`, or nullptr: the path must equal a table entry.
  const static_file* find(std::string_view path) const;

  size_t size() const {
    return files_.size();
  }

private:
  std::map<std::string, static_file, std::less<>> files_;
};

// The page's folder when http.static-dir is empty: `web/` beside the binary if it exists,
// else the folder in the source tree the binary was built from.
std::string default_static_dir();

}  // namespace ordernode
