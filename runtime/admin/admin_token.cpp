#include "runtime/admin/admin_token.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

caf::error file_error(const std::string& what, const std::string& path, int code) {
  return make_error(errc::bad_config,
                    what + " the admin token file " + path + ": " + std::strerror(code));
}

std::string trimmed(const std::string& x) {
  auto first = x.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return {};
  return x.substr(first, x.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

std::string default_admin_token_file(const std::string& journal_path) {
  auto folder = std::filesystem::path{journal_path}.parent_path();
  return (folder / admin_token_file_name).string();
}

caf::expected<std::string> generate_admin_token() {
  unsigned char bytes[16];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    auto n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return make_error(errc::bad_config,
                        std::string{"cannot read random bytes: "} + std::strerror(errno));
    got += static_cast<size_t>(n);
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string result;
  for (auto b : bytes) {
    result += digits[b >> 4];
    result += digits[b & 0x0f];
  }
  return result;
}

caf::expected<std::string> read_admin_token(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return file_error("cannot read", path, errno);
  std::stringstream buf;
  buf << in.rdbuf();
  auto token = trimmed(buf.str());
  if (token.empty())
    return make_error(errc::bad_config, "the admin token file " + path + " is empty");
  return token;
}

caf::expected<std::string> load_or_create_admin_token(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return file_error("cannot read", path, errno);
    auto token = generate_admin_token();
    if (!token)
      return token;
    // Written whole under another name, then linked into place: a reader never sees a part,
    // and of two nodes starting at once the first one's token wins.
    auto tmp = path + ".tmp-" + std::to_string(getpid());
    unlink(tmp.c_str());  // A leftover of a crash; never followed if it is a link.
    auto fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
      return file_error("cannot write", path, errno);
    auto line = *token + "\n";
    auto written = write(fd, line.data(), line.size());
    auto code = errno;
    if (written != static_cast<ssize_t>(line.size()) || fsync(fd) != 0) {
      close(fd);
      unlink(tmp.c_str());
      return file_error("cannot write", path, written < 0 ? code : EIO);
    }
    close(fd);
    auto linked = link(tmp.c_str(), path.c_str());
    code = errno;
    unlink(tmp.c_str());
    if (linked == 0)
      return token;
    if (code != EEXIST)
      return file_error("cannot write", path, code);
    if (stat(path.c_str(), &st) != 0)
      return file_error("cannot read", path, errno);
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return make_error(errc::bad_config, "the admin token file " + path + " has mode " + mode
                                          + ": others may read it (chmod 600 it)");
  }
  return read_admin_token(path);
}

}  // namespace ordernode
