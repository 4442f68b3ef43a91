// The error codes src/llm reports, in one place. They reuse core codes so
// adding this subsystem did not touch core/error.h (which every file
// includes); dedicated codes (KMS_KEY_INVALID, LLM_PROVIDER_ERROR,
// LLM_TIMEOUT) can replace these aliases in one edit.
#pragma once

#include "core/error.h"

namespace docrunch::llm {

// A missing, malformed or wrong KMS key: a configuration problem (exit 2).
constexpr ErrorCode kKeyError = ErrorCode::kConfigInvalid;
// A provider that answered with an error, or not in its format, or not at all.
constexpr ErrorCode kProviderError = ErrorCode::kIo;
// A provider that did not answer in time (the message says "timed out").
constexpr ErrorCode kTimeoutError = ErrorCode::kIo;

}  // namespace docrunch::llm
