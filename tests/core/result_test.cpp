#include "core/result.h"

#include <gtest/gtest.h>

namespace docrunch {
namespace {

Result<int> Half(int n) {
  if (n % 2)
    return MakeError(ErrorCode::kInvalidParams, "n: must be even, got " + std::to_string(n));
  return n / 2;
}

Result<int> Quarter(int n) {
  auto half = Half(n);
  if (!half) return half.error();
  return Half(*half);
}

Result<void> CheckPositive(int n) {
  if (n <= 0) return MakeError(ErrorCode::kInvalidParams, "n: must be positive");
  return Ok();
}

Result<void> CheckBoth(int n) {
  DOCRUNCH_TRY(CheckPositive(n));
  DOCRUNCH_TRY(Half(n));
  return Ok();
}

TEST(Result, CarriesAValueOrAnError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto failed = Quarter(6);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(failed.error().message, "n: must be even, got 3");
  EXPECT_EQ(failed.error().ToString(), "INVALID_PARAMS: n: must be even, got 3");
}

TEST(Result, TryPropagatesTheFirstError) {
  EXPECT_TRUE(CheckBoth(4).ok());
  EXPECT_EQ(CheckBoth(-2).error().message, "n: must be positive");
  EXPECT_EQ(CheckBoth(3).error().message, "n: must be even, got 3");
}

TEST(Result, MovesOutItsValue) {
  Result<std::string> r = std::string(100, 'x');
  std::string taken = *std::move(r);
  EXPECT_EQ(taken.size(), 100u);
}

TEST(ErrorCodes, MapToTheDocumentedExitCodes) {
  EXPECT_EQ(ExitCodeFor(ErrorCode::kUsage), ExitCode::kUsage);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kConfigInvalid), ExitCode::kUsage);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kStorageSchemaBehind), ExitCode::kUsage);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kStorageUnavailable), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kStorageCorrupt), ExitCode::kFailed);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kIo), ExitCode::kFailed);
  EXPECT_EQ(ErrorCodeName(ErrorCode::kStorageSchemaAhead), "STORAGE_SCHEMA_AHEAD");
}

TEST(ErrorCodes, CredentialAndProviderFailuresHaveTheirOwnCodes) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kKmsKeyInvalid), "KMS_KEY_INVALID");
  EXPECT_EQ(ExitCodeFor(ErrorCode::kKmsKeyInvalid), ExitCode::kUsage) << "a configuration problem";
  EXPECT_EQ(ErrorCodeName(ErrorCode::kLlmProviderError), "LLM_PROVIDER_ERROR");
  EXPECT_EQ(ExitCodeFor(ErrorCode::kLlmProviderError), ExitCode::kFailed);
  EXPECT_EQ(ErrorCodeName(ErrorCode::kLlmTimeout), "LLM_TIMEOUT");
  EXPECT_EQ(ExitCodeFor(ErrorCode::kLlmTimeout), ExitCode::kFailed);
}

}  // namespace
}  // namespace docrunch
