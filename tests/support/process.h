// Running the real `docrunch` binary (or any program) from tests.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace docrunch::testing {

struct ProcessResult {
  int exit_code = -1;  // -1: killed by a signal (see signal)
  int signal = 0;
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
};

struct ProcessOptions {
  std::filesystem::path cwd;               // empty: inherit
  std::map<std::string, std::string> env;  // added to / overriding the parent's
  std::vector<std::string> unset_env;      // removed from the environment
  std::string stdin_data;
  // Run as the unprivileged user "nobody" (only when we are root): root
  // ignores file permissions, so read-only tests need this to mean anything.
  bool unprivileged = false;
};

// Runs argv[0] with arguments argv[1..]; waits; captures stdout/stderr.
ProcessResult Run(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// The docrunch binary built alongside the tests.
std::string DocrunchBinary();

// Runs the docrunch binary built alongside the tests.
ProcessResult RunDocrunch(const std::vector<std::string>& args, const ProcessOptions& options = {});

bool RunningAsRoot();

}  // namespace docrunch::testing
