// The SMS channel: posts each notification as {"to": ..., "message": ...} to an HTTP gateway.
#pragma once

#include <cstddef>
#include <string>

#include "runtime/notify/channel.hpp"
#include "runtime/notify/curl_transfer.hpp"

namespace ordernode {

struct sms_options {
  std::string url;          // The gateway's endpoint; may carry an API key, never logged.
  std::string to;           // The phone number, e.g. "+4915112345678".
  size_t max_length = 640;  // Longer messages are cut, ending in "...".
};

class sms_channel : public notification_channel {
public:
  explicit sms_channel(sms_options options, transfer_timeouts timeouts = {});

  std::string name() const override;

  caf::error send(const notification& x) override;

  // The JSON document posted for `x`.
  std::string payload(const notification& x) const;

private:
  sms_options options_;
  transfer_timeouts timeouts_;
};

}  // namespace ordernode
