// Running a helper program (pg_dump, psql) without a shell: argv as given,
// the environment as given, stdout into a file, stderr kept for the message.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace docrunch::ops {

struct SubprocessOptions {
  // Added to (or replacing) this process's environment, e.g. PGPASSWORD.
  std::map<std::string, std::string> env;
  std::filesystem::path stdout_path;  // empty: discarded
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
};

struct SubprocessResult {
  int exit_code = -1;  // -1: killed by a signal or the timeout
  bool timed_out = false;
  std::string err;  // its stderr, at most 64 KiB
};

// Runs argv[0] (looked up on PATH) with argv[1..]. An error only when it
// could not be started (IO_ERROR naming the program); a program that ran
// and failed is a result with its exit code.
Result<SubprocessResult> RunSubprocess(const std::vector<std::string>& argv,
                                       const SubprocessOptions& options);

}  // namespace docrunch::ops
