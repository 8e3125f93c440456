#include "runtime/notify/slack_channel.hpp"

#include <utility>

#include <nlohmann/json.hpp>

namespace ordernode {

namespace {

// Slack reads &, < and > in "text" as markup.
std::string escaped(const std::string& x) {
  std::string result;
  result.reserve(x.size());
  for (auto c : x) {
    switch (c) {
      case '&':
        result += "&amp;";
        break;
      case '<':
        result += "&lt;";
        break;
      case '>':
        result += "&gt;";
        break;
      default:
        result += c;
    }
  }
  return result;
}

}  // namespace

slack_channel::slack_channel(slack_options options, transfer_timeouts timeouts)
    : options_(std::move(options)), timeouts_(timeouts) {}

std::string slack_channel::name() const {
  return "slack";
}

caf::error slack_channel::send(const notification& x) {
  return post_json(name(), options_.url, payload(x), timeouts_);
}

std::string slack_channel::payload(const notification& x) const {
  nlohmann::json doc;
  doc["text"] = "*" + escaped(x.subject()) + "*\n```\n" + escaped(x.body()) + "```";
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ordernode
