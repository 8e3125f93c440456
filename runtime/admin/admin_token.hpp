// The admin token when admin.token is not set: 128 random bits, generated at the first start
// into a file only its owner may read (next to the journal) and reused on later starts;
// ordernode-shell reads the same file.
#pragma once

#include <string>

#include <caf/expected.hpp>

namespace ordernode {

inline constexpr const char* admin_token_file_name = "ordernode-admin.token";

// `admin_token_file_name` in the folder of `journal_path`.
std::string default_admin_token_file(const std::string& journal_path);

// 128 bits from the kernel's random source, as 32 hex digits.
caf::expected<std::string> generate_admin_token();

// The token in `path`, trimmed; an error if the file is missing, unreadable or empty.
caf::expected<std::string> read_admin_token(const std::string& path);

// The token in `path`, generated first (mode 0600) when the file does not exist. Refuses a file
// that its group or others may read.
caf::expected<std::string> load_or_create_admin_token(const std::string& path);

}  // namespace ordernode
