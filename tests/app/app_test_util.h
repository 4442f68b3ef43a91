// Helpers for tests that drive the real docrunch binary.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/process.h"
#include "support/temp_dir.h"

namespace docrunch::testing {

// A temporary project folder; Run() executes docrunch inside it with a
// clean environment (no DOCRUNCH_* variables from the caller).
class ProjectTest : public ::testing::Test {
 protected:
  ProcessResult Docrunch(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                         bool unprivileged = false) {
    ProcessOptions options;
    options.cwd = dir_.path();
    options.env = std::move(env);
    options.unset_env = {"DOCRUNCH_CONFIG", "DOCRUNCH_DEBUG", "DOCRUNCH_KMS_KEY",
                         "DOCRUNCH_JWT_SECRET"};
    options.unprivileged = unprivileged;
    return RunDocrunch(args, options);
  }

  // `docrunch init` that must succeed.
  void Init(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"init"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Docrunch(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  std::string ConfigText() const { return dir_.Read(".docrunch/config.yaml"); }

  TempDir dir_;
};

}  // namespace docrunch::testing
