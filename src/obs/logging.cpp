#include "obs/logging.h"

#include "obs/request_id.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace docrunch::obs {
namespace {

// %* in a pattern: the message escaped as the inside of a JSON string, so
// a JSON-lines log stays one valid object per line whatever was logged.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"':
          Append(dest, "\\\"");
          break;
        case '\\':
          Append(dest, "\\\\");
          break;
        case '\n':
          Append(dest, "\\n");
          break;
        case '\r':
          Append(dest, "\\r");
          break;
        case '\t':
          Append(dest, "\\t");
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            Append(dest, buf);
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }

 private:
  static void Append(spdlog::memory_buf_t& dest, std::string_view text) {
    dest.append(text.data(), text.data() + text.size());
  }
};

// %R in the JSON pattern: `,"request_id":"..."` while a request is being
// handled on the thread (obs/request_id.h; the id's characters need no
// escaping), nothing otherwise.
class RequestIdField final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string& id = CurrentRequestId();
    if (id.empty()) return;
    static constexpr std::string_view kKey = ",\"request_id\":\"";
    dest.append(kKey.data(), kKey.data() + kKey.size());
    dest.append(id.data(), id.data() + id.size());
    dest.push_back('"');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RequestIdField>();
  }
};

// %R in the text pattern: " [id]" while a request is being handled.
class RequestIdText final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string& id = CurrentRequestId();
    if (id.empty()) return;
    dest.append(std::string_view(" [").data(), std::string_view(" [").data() + 2);
    dest.append(id.data(), id.data() + id.size());
    dest.push_back(']');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RequestIdText>();
  }
};

}  // namespace

void ConfigureLogging(const LogOptions& options) {
  spdlog::drop("docrunch");
  auto logger = spdlog::stderr_logger_mt("docrunch");
  if (options.format == LogFormat::kJson) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonEscapedMessage>('*');
    formatter->add_flag<RequestIdField>('R').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","pid":%P%R,"msg":"%*"})");
    logger->set_formatter(std::move(formatter));
  } else {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<RequestIdText>('R').set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l%R %v");
    logger->set_formatter(std::move(formatter));
  }
  logger->set_level(spdlog::level::from_str(options.level));
  spdlog::set_default_logger(logger);
}

}  // namespace docrunch::obs
