// Helpers for configuration tests: validate YAML text as if it were
// /project/.docrunch/config.yaml.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"

namespace docrunch::config {

inline const char* kTestFile = "/project/.docrunch/config.yaml";

inline std::vector<ConfigIssue> IssuesFor(const std::string& text, Environment env = {},
                                          std::vector<std::string> overrides = {}) {
  LoadedConfig loaded;
  // A lone newline keeps an "empty" document from being read from disk.
  return ValidateConfig({kTestFile, text.empty() ? "\n" : text, env, overrides}, loaded);
}

inline LoadedConfig LoadOk(const std::string& text, Environment env = {},
                           std::vector<std::string> overrides = {}) {
  LoadedConfig loaded;
  auto issues = ValidateConfig({kTestFile, text.empty() ? "\n" : text, env, overrides}, loaded);
  for (const auto& issue : issues) ADD_FAILURE() << issue.ToString();
  return loaded;
}

// The one issue `text` produces (fails the test unless there is exactly one).
inline ConfigIssue OnlyIssue(const std::string& text, Environment env = {},
                             std::vector<std::string> overrides = {}) {
  auto issues = IssuesFor(text, env, overrides);
  EXPECT_EQ(issues.size(), 1u);
  for (const auto& issue : issues) std::cerr << "  issue: " << issue.ToString() << "\n";
  return issues.empty() ? ConfigIssue{} : issues.front();
}

}  // namespace docrunch::config
