#include "runtime/external/shipment_ledger.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

caf::error os_error(const std::string& what) {
  return make_error(errc::store_failure, "shipment ledger: " + what + ": " + std::strerror(errno));
}

// Holds the exclusive lock of a file while in scope.
class file_lock {
public:
  explicit file_lock(int fd) : fd_(fd) {
    while ((ok_ = ::flock(fd_, LOCK_EX) == 0) == false && errno == EINTR)
      continue;
  }

  ~file_lock() {
    if (ok_)
      ::flock(fd_, LOCK_UN);
  }

  explicit operator bool() const {
    return ok_;
  }

private:
  int fd_;
  bool ok_ = false;
};

}  // namespace

caf::expected<std::unique_ptr<shipment_ledger>> shipment_ledger::open(const std::string& path) {
  auto fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return os_error("cannot open " + path);
  return std::unique_ptr<shipment_ledger>{new shipment_ledger(fd)};
}

shipment_ledger::~shipment_ledger() {
  ::close(fd_);
}

caf::error shipment_ledger::catch_up() {
  std::array<char, 65536> buf;
  for (;;) {
    auto n = ::pread(fd_, buf.data(), buf.size(), offset_);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return os_error("cannot read");
    if (n == 0)
      return caf::none;
    offset_ += n;
    partial_.append(buf.data(), static_cast<size_t>(n));
    size_t start = 0;
    for (auto end = partial_.find('\n'); end != std::string::npos;
         end = partial_.find('\n', start)) {
      auto line = partial_.substr(start, end - start);
      start = end + 1;
      auto space = line.find(' ');
      if (space != std::string::npos)
        shipped_.emplace(line.substr(0, space), line.substr(space + 1));
    }
    partial_.erase(0, start);
  }
}

caf::expected<std::string> shipment_ledger::find(const std::string& id) {
  file_lock lock{fd_};
  if (!lock)
    return os_error("cannot lock");
  if (auto err = catch_up())
    return err;
  auto i = shipped_.find(id);
  return i == shipped_.end() ? std::string{} : i->second;
}

caf::expected<std::string> shipment_ledger::record(const std::string& id,
                                                   const std::string& tracking) {
  file_lock lock{fd_};
  if (!lock)
    return os_error("cannot lock");
  if (auto err = catch_up())
    return err;
  if (auto i = shipped_.find(id); i != shipped_.end())
    return i->second;
  auto line = id + ' ' + tracking + '\n';
  // A torn line of a crashed writer would glue onto this one: start it on a line of its own.
  if (!partial_.empty())
    line.insert(line.begin(), '\n');
  size_t done = 0;
  while (done < line.size()) {
    auto n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return os_error("cannot write");
    done += static_cast<size_t>(n);
  }
  if (auto err = catch_up())
    return err;
  return tracking;
}

}  // namespace ordernode
