// The failures file: one JSON line per failed order, for whoever follows failures with a tail.
#pragma once

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/core/messages.hpp"

namespace ordernode {

class failures_file {
public:
  // Opens `path` for appending; the error names the path and the cause.
  static caf::expected<std::unique_ptr<failures_file>> open(const std::string& path);

  // Appends {orderId, productName, quantity, region, customer, vip, cause, at} for each failed
  // order of `xs`; false when the lines did not reach the file.
  bool append(const std::vector<finished_order>& xs);

  const std::string& path() const {
    return path_;
  }

private:
  failures_file(std::string path, std::ofstream out)
      : path_(std::move(path)), out_(std::move(out)) {}

  std::string path_;
  std::ofstream out_;
};

}  // namespace ordernode
