// The email channel: one plain-text mail per notification via SMTP (libcurl).
#pragma once

#include <string>
#include <vector>

#include "runtime/notify/channel.hpp"
#include "runtime/notify/curl_transfer.hpp"

namespace ordernode {

struct smtp_options {
  std::string url;  // smtp://host:port, or smtps://host:port for implicit TLS.
  std::string from;
  std::vector<std::string> to;
};

class smtp_channel : public notification_channel {
public:
  explicit smtp_channel(smtp_options options, transfer_timeouts timeouts = {});

  std::string name() const override;

  caf::error send(const notification& x) override;

  // The mail for `x` as it goes over the wire: headers, blank line, body, CRLF line ends.
  std::string compose(const notification& x, timestamp date) const;

private:
  smtp_options options_;
  transfer_timeouts timeouts_;
};

}  // namespace ordernode
