#include "runtime/store/journal_location.hpp"

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

bool starts_with(const std::string& x, const std::string& prefix) {
  return x.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string why_not_journal_url(const std::string& url) {
  if (starts_with(url, "sqlite:"))
    return url.size() > 7 ? "" : "\"sqlite:\" names no file";
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    auto rest = url.substr(url.find("://") + 3);
    auto slash = rest.find('/');
    if (slash == std::string::npos || slash + 1 >= rest.size() || rest[slash + 1] == '?')
      return to_string(journal_location{journal_engine::postgresql, url})
             + " names no database: postgresql://user@host:port/dbname";
    return "";
  }
  return "\"" + url + "\" is neither sqlite:PATH nor postgresql://user[:password]@host:port/dbname";
}

caf::expected<journal_location> parse_journal_url(const std::string& url) {
  if (auto why = why_not_journal_url(url); !why.empty())
    return make_error(errc::bad_config, "journal.url " + why);
  if (starts_with(url, "sqlite:"))
    return journal_location::sqlite_file(url.substr(7));
  return journal_location{journal_engine::postgresql, url};
}

std::string to_string(const journal_location& x) {
  if (x.engine == journal_engine::sqlite)
    return "sqlite:" + x.target;
  // postgresql://user:secret@host/db?password=secret -> postgresql://user:***@host/db?password=***
  auto result = x.target;
  auto scheme = result.find("://");
  auto at = result.find('@');
  auto colon = result.find(':', scheme + 3);
  if (scheme != std::string::npos && at != std::string::npos && colon < at)
    result = result.substr(0, colon + 1) + "***" + result.substr(at);
  auto password = result.find("password=", result.find('?'));
  if (result.find('?') != std::string::npos && password != std::string::npos) {
    auto end = result.find('&', password);
    result =
      result.substr(0, password + 9) + "***" + (end == std::string::npos ? "" : result.substr(end));
  }
  return result;
}

}  // namespace ordernode
