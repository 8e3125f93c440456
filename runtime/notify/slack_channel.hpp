// The Slack channel: posts each notification to an incoming webhook as {"text": ...}.
#pragma once

#include <string>

#include "runtime/notify/channel.hpp"
#include "runtime/notify/curl_transfer.hpp"

namespace ordernode {

struct slack_options {
  std::string url;  // https://hooks.slack.com/services/...; it is a secret, never logged.
};

class slack_channel : public notification_channel {
public:
  explicit slack_channel(slack_options options, transfer_timeouts timeouts = {});

  std::string name() const override;

  caf::error send(const notification& x) override;

  // The JSON document posted for `x`.
  std::string payload(const notification& x) const;

private:
  slack_options options_;
  transfer_timeouts timeouts_;
};

}  // namespace ordernode
