#include "runtime/node/logging.hpp"

#include <chrono>
#include <memory>
#include <vector>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

template <class Buffer>
void escape_into(std::string_view x, Buffer& out) {
  static constexpr char hex[] = "0123456789abcdef";
  for (auto c : x) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out.push_back(c);
      continue;
    }
    out.push_back('\\');
    switch (c) {
      case '\n':
        out.push_back('n');
        break;
      case '\r':
        out.push_back('r');
        break;
      case '\t':
        out.push_back('t');
        break;
      default:
        out.push_back('x');
        out.push_back(hex[u >> 4]);
        out.push_back(hex[u & 0xf]);
    }
  }
}

// The %* flag: the message with its control characters escaped.
class escaped_message : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    escape_into({msg.payload.data(), msg.payload.size()}, dest);
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<escaped_message>();
  }
};

}  // namespace

void append_escaped(std::string_view x, std::string& out) {
  escape_into(x, out);
}

caf::error setup_logging(const std::string& level, const std::string& file) {
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_sink_mt>()};
  if (!file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
    } catch (const spdlog::spdlog_ex& ex) {
      return make_error(errc::bad_config, "log.file: " + std::string{ex.what()});
    }
  }
  auto logger = std::make_shared<spdlog::logger>("ordernode", sinks.begin(), sinks.end());
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<escaped_message>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %*");
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return caf::none;
}

}  // namespace ordernode
