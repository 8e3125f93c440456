// The mock channel: appends each notification to a JSON-lines file and logs it.
#pragma once

#include <string>

#include "runtime/notify/channel.hpp"

namespace ordernode {

class mock_channel : public notification_channel {
public:
  // An empty `path` only logs.
  explicit mock_channel(std::string path);

  std::string name() const override;

  caf::error send(const notification& x) override;

  // The line appended for `x`, without its line end.
  static std::string json_line(const notification& x);

private:
  std::string path_;
};

}  // namespace ordernode
