#include "runtime/notify/smtp_channel.hpp"

#include <ctime>
#include <utility>

namespace ordernode {

namespace {

// RFC 5322 recommends lines of at most 78 characters and forbids more than 998.
constexpr size_t max_line = 998;

bool is_plain(const std::string& x) {
  for (unsigned char c : x)
    if (c < 0x20 || c > 0x7e)
      return false;
  return true;
}

std::string base64(const std::string& x) {
  static constexpr char digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string result;
  size_t i = 0;
  for (; i + 2 < x.size(); i += 3) {
    auto n = (static_cast<unsigned char>(x[i]) << 16) | (static_cast<unsigned char>(x[i + 1]) << 8)
             | static_cast<unsigned char>(x[i + 2]);
    result += digits[(n >> 18) & 63];
    result += digits[(n >> 12) & 63];
    result += digits[(n >> 6) & 63];
    result += digits[n & 63];
  }
  if (i + 1 == x.size()) {
    auto n = static_cast<unsigned char>(x[i]) << 16;
    result += digits[(n >> 18) & 63];
    result += digits[(n >> 12) & 63];
    result += "==";
  } else if (i + 2 == x.size()) {
    auto n = (static_cast<unsigned char>(x[i]) << 16) | (static_cast<unsigned char>(x[i + 1]) << 8);
    result += digits[(n >> 18) & 63];
    result += digits[(n >> 12) & 63];
    result += digits[(n >> 6) & 63];
    result += '=';
  }
  return result;
}

// A subject with anything but printable ASCII becomes RFC 2047 encoded words of at most 45
// bytes each, never splitting a UTF-8 sequence, folded onto continuation lines.
std::string encode_subject(const std::string& x) {
  if (is_plain(x))
    return x;
  constexpr size_t chunk = 45;
  std::string result;
  size_t begin = 0;
  while (begin < x.size()) {
    auto end = std::min(begin + chunk, x.size());
    while (end < x.size() && end > begin + 1 && (static_cast<unsigned char>(x[end]) & 0xc0) == 0x80)
      --end;
    if (!result.empty())
      result += "\r\n ";
    result += "=?UTF-8?B?" + base64(x.substr(begin, end - begin)) + "?=";
    begin = end;
  }
  return result;
}

std::string rfc5322_date(timestamp ns) {
  auto t = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return buf;
}

// LF or CRLF line ends become CRLF; lines longer than SMTP allows are wrapped.
std::string crlf_text(const std::string& x) {
  std::string result;
  size_t column = 0;
  for (auto c : x) {
    if (c == '\r')
      continue;
    if (c == '\n' || column == max_line) {
      result += "\r\n";
      column = 0;
      if (c == '\n')
        continue;
    }
    result += c;
    ++column;
  }
  if (column > 0)
    result += "\r\n";
  return result;
}

}  // namespace

smtp_channel::smtp_channel(smtp_options options, transfer_timeouts timeouts)
    : options_(std::move(options)), timeouts_(timeouts) {}

std::string smtp_channel::name() const {
  return "smtp";
}

caf::error smtp_channel::send(const notification& x) {
  return send_mail(name(), options_.url, options_.from, options_.to, compose(x, now()), timeouts_);
}

std::string smtp_channel::compose(const notification& x, timestamp date) const {
  std::string to;
  for (auto& addr : options_.to) {
    if (!to.empty())
      to += ", ";
    to += addr;
  }
  std::string result;
  result += "Date: " + rfc5322_date(date) + "\r\n";
  result += "From: " + options_.from + "\r\n";
  result += "To: " + to + "\r\n";
  result += "Subject: " + encode_subject(x.subject()) + "\r\n";
  result += "MIME-Version: 1.0\r\n";
  result += "Content-Type: text/plain; charset=utf-8\r\n";
  result += "Content-Transfer-Encoding: 8bit\r\n";
  result += "\r\n";
  result += crlf_text(x.body());
  return result;
}

}  // namespace ordernode
