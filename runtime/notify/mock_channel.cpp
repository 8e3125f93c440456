#include "runtime/notify/mock_channel.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include <spdlog/spdlog.h>
#include <caf/sec.hpp>
#include <nlohmann/json.hpp>

#include "runtime/core/time_format.hpp"

namespace ordernode {

mock_channel::mock_channel(std::string path) : path_(std::move(path)) {}

std::string mock_channel::name() const {
  return "mock";
}

caf::error mock_channel::send(const notification& x) {
  if (!path_.empty()) {
    std::ofstream out{path_, std::ios::app};
    if (out)
      out << json_line(x) << '\n' << std::flush;
    if (!out)
      return caf::make_error(caf::sec::runtime_error,
                             "mock: cannot append to " + path_ + ": " + std::strerror(errno));
  }
  if (x.errors.size() == 1 && x.total() == 1) {
    auto& e = x.errors.front();
    spdlog::info("notification: {} error, order {}, at {} in {}: {}", to_string(e.type), e.order_id,
                 iso8601(e.at), to_string(e.stage), e.cause);
  } else {
    spdlog::info("notification: {}", x.subject());
  }
  return caf::none;
}

std::string mock_channel::json_line(const notification& x) {
  nlohmann::json doc;
  doc["subject"] = x.subject();
  doc["total"] = x.total();
  doc["counts"] = x.counts;
  doc["window_start"] = iso8601(x.window_start);
  doc["window_end"] = iso8601(x.window_end);
  auto& errors = doc["errors"] = nlohmann::json::array();
  for (auto& e : x.errors)
    errors.push_back({{"order_id", e.order_id},
                      {"type", to_string(e.type)},
                      {"time", iso8601(e.at)},
                      {"stage", to_string(e.stage)},
                      {"cause", e.cause}});
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ordernode
