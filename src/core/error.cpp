#include "core/error.h"

namespace docrunch {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal:
      return "INTERNAL";
    case ErrorCode::kUsage:
      return "USAGE";
    case ErrorCode::kConfigInvalid:
      return "CONFIG_INVALID";
    case ErrorCode::kConfigNotFound:
      return "CONFIG_NOT_FOUND";
    case ErrorCode::kIo:
      return "IO_ERROR";
    case ErrorCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case ErrorCode::kStorageUnavailable:
      return "STORAGE_UNAVAILABLE";
    case ErrorCode::kStorageCorrupt:
      return "STORAGE_CORRUPT";
    case ErrorCode::kStorageReadOnly:
      return "STORAGE_READ_ONLY";
    case ErrorCode::kStorageSchemaBehind:
      return "STORAGE_SCHEMA_BEHIND";
    case ErrorCode::kStorageSchemaAhead:
      return "STORAGE_SCHEMA_AHEAD";
    case ErrorCode::kStorageNotFound:
      return "STORAGE_NOT_FOUND";
    case ErrorCode::kStorageConstraint:
      return "STORAGE_CONSTRAINT";
    case ErrorCode::kStorageQuery:
      return "STORAGE_QUERY";
    case ErrorCode::kInvalidParams:
      return "INVALID_PARAMS";
    case ErrorCode::kTaskInvalidTransition:
      return "TASK_INVALID_TRANSITION";
    case ErrorCode::kTaskAlreadyClaimed:
      return "TASK_ALREADY_CLAIMED";
    case ErrorCode::kTaskDependenciesPending:
      return "TASK_DEPENDENCIES_PENDING";
    case ErrorCode::kTaskNotClaimant:
      return "TASK_NOT_CLAIMANT";
    case ErrorCode::kTaskDependencyCycle:
      return "TASK_DEPENDENCY_CYCLE";
    case ErrorCode::kUnauthorized:
      return "MCP_UNAUTHORIZED";
    case ErrorCode::kForbidden:
      return "FORBIDDEN";
    case ErrorCode::kRateLimited:
      return "RATE_LIMITED";
    case ErrorCode::kKmsKeyInvalid:
      return "KMS_KEY_INVALID";
    case ErrorCode::kLlmProviderError:
      return "LLM_PROVIDER_ERROR";
    case ErrorCode::kLlmTimeout:
      return "LLM_TIMEOUT";
    case ErrorCode::kLlmBudgetExceeded:
      return "LLM_BUDGET_EXCEEDED";
    case ErrorCode::kInterrupted:
      return "INTERRUPTED";
  }
  return "INTERNAL";
}

ExitCode ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage:
    case ErrorCode::kConfigInvalid:
    case ErrorCode::kConfigNotFound:
    case ErrorCode::kKmsKeyInvalid:
    case ErrorCode::kStorageSchemaBehind:
    case ErrorCode::kStorageSchemaAhead:
    case ErrorCode::kInvalidParams:
    case ErrorCode::kTaskDependencyCycle:
    case ErrorCode::kUnauthorized:
    case ErrorCode::kForbidden:
      return ExitCode::kUsage;
    case ErrorCode::kStorageUnavailable:
      return ExitCode::kUnavailable;
    default:
      return ExitCode::kFailed;
  }
}

std::string Error::ToString() const {
  return std::string(ErrorCodeName(code)) + ": " + message;
}

}  // namespace docrunch
