#include "runtime/core/stage_id.hpp"

#include <algorithm>
#include <array>

namespace ordernode {

namespace {

const std::array<std::string, 17> stage_names{
  "source",     "intake",        "validator", "dispatcher", "processor",  "shipper",
  "aggregator", "error_channel", "notifier",  "journal",    "supervisor", "watchdog",
  "broker",     "admin",         "test",      "replay",     "cluster"};

const std::array<std::string, 16> error_type_names{
  "validation",      "processing",        "shipping",       "recovery",
  "dead_letter",     "storage",           "crash",          "restart",
  "escalation",      "malformed_message", "result_missing", "result_delayed",
  "throughput_drop", "error_rate",        "broker_lag",     "resolved"};

template <class Enum, size_t N>
std::optional<Enum> parse(const std::array<std::string, N>& names, const std::string& name) {
  auto i = std::find(names.begin(), names.end(), name);
  if (i == names.end())
    return std::nullopt;
  return static_cast<Enum>(i - names.begin());
}

}  // namespace

const std::string& to_string(stage_id x) {
  return stage_names[static_cast<size_t>(x)];
}

std::optional<stage_id> parse_stage_id(const std::string& name) {
  return parse<stage_id>(stage_names, name);
}

const std::string& to_string(error_type x) {
  return error_type_names[static_cast<size_t>(x)];
}

std::optional<error_type> parse_error_type(const std::string& name) {
  return parse<error_type>(error_type_names, name);
}

}  // namespace ordernode
