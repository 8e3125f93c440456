// Blocking libcurl transfers for the notification channels: a JSON POST and an SMTP mail.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/timespan.hpp>

namespace ordernode {

struct transfer_timeouts {
  caf::timespan connect = std::chrono::seconds(5);
  caf::timespan total = std::chrono::seconds(5);
};

// "https://hooks.slack.com" for "https://user:pw@hooks.slack.com/services/T0/B0/secret":
// webhook and gateway URLs carry secrets, so errors and logs name only scheme, host and port.
std::string redacted(const std::string& url);

// POSTs `json` to `url`; an error unless the server answered with a 2xx status. The error text
// starts with `channel`.
caf::error post_json(const std::string& channel, const std::string& url, const std::string& json,
                     const transfer_timeouts& timeouts);

// Sends `message` (headers, blank line, body; CRLF line ends) from `from` to each of `to`.
caf::error send_mail(const std::string& channel, const std::string& url, const std::string& from,
                     const std::vector<std::string>& to, const std::string& message,
                     const transfer_timeouts& timeouts);

}  // namespace ordernode
