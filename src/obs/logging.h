// Process-wide logging setup (spdlog). Logs always go to stderr: stdout is
// reserved for command output and the MCP stdio transport.
#pragma once

#include <string>

namespace docrunch::obs {

enum class LogFormat { kText, kJson };

struct LogOptions {
  std::string level = "info";  // trace|debug|info|warn|error|off
  LogFormat format = LogFormat::kText;
};

// Replaces the default logger. Safe to call more than once.
void ConfigureLogging(const LogOptions& options);

}  // namespace docrunch::obs
