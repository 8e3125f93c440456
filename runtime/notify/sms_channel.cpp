#include "runtime/notify/sms_channel.hpp"

#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace ordernode {

namespace {

// Cuts `x` to at most `n` bytes without splitting a UTF-8 sequence.
std::string cut(std::string x, size_t n) {
  constexpr std::string_view ellipsis = "...";
  if (x.size() <= n)
    return x;
  auto end = n > ellipsis.size() ? n - ellipsis.size() : 0;
  while (end > 0 && (static_cast<unsigned char>(x[end]) & 0xc0) == 0x80)
    --end;
  x.resize(end);
  x += ellipsis;
  return x;
}

}  // namespace

sms_channel::sms_channel(sms_options options, transfer_timeouts timeouts)
    : options_(std::move(options)), timeouts_(timeouts) {}

std::string sms_channel::name() const {
  return "sms";
}

caf::error sms_channel::send(const notification& x) {
  return post_json(name(), options_.url, payload(x), timeouts_);
}

std::string sms_channel::payload(const notification& x) const {
  nlohmann::json doc;
  doc["to"] = options_.to;
  doc["message"] = cut(x.subject() + "\n" + x.body(), options_.max_length);
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ordernode
