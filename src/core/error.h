// Error codes and the Error value carried by Result<T>.
//
// Every expected failure in Docrunch is an Error: a stable code (printed as
// e.g. CONFIG_INVALID) and a human message that names the field or file at
// fault. Exit codes for the CLI derive from the code (see ExitCodeFor).
#pragma once

#include <string>
#include <string_view>

namespace docrunch {

enum class ErrorCode {
  kInternal,
  kUsage,                // bad command line
  kConfigInvalid,        // config file or overlay failed validation
  kConfigNotFound,       // no .docrunch/config.yaml where one is needed
  kIo,                   // filesystem failure (write, rename, permissions)
  kAlreadyExists,        // refusing to overwrite
  kStorageUnavailable,   // database cannot be reached / opened
  kStorageCorrupt,       // file is not a database, or malformed
  kStorageReadOnly,      // database or its folder cannot be written
  kStorageSchemaBehind,  // migrations pending: run `docrunch db migrate`
  kStorageSchemaAhead,   // database newer than this binary
  kStorageNotFound,      // row not found
  kStorageConstraint,    // unique/foreign key violation
  kStorageQuery,         // any other SQL failure
  kInvalidParams,        // a value that failed validation at a service edge

  // The task pipeline (src/tasks).
  kTaskInvalidTransition,    // the task's status does not allow the requested move
  kTaskAlreadyClaimed,       // another agent holds (or just won) the claim
  kTaskDependenciesPending,  // a dependency of the task is not done yet
  kTaskNotClaimant,          // a report from an agent that does not hold the task's claim
  kTaskDependencyCycle,      // the requested dependencies would form a cycle

  // Agents and tokens (src/auth).
  kUnauthorized,  // a missing, unknown or revoked token, or a role that may not do this
  kForbidden,     // a known caller whose role may not do this (REST: 403)
  kRateLimited,   // too many requests or sign-in failures; try again later (REST: 429)

  // Credentials and LLM calls (src/llm, src/cost).
  kKmsKeyInvalid,      // the KMS key is missing, malformed, or does not open the stored secrets
  kLlmProviderError,   // a provider answered with an error, not in its format, or not at all
  kLlmTimeout,         // a provider gave no complete answer in time
  kLlmBudgetExceeded,  // a hard-stop budget would be exceeded; the call was not made

  // Long work stopped by a signal (SIGINT, SIGTERM) before it finished.
  kInterrupted,
};

// The stable, upper-case name of a code, e.g. "STORAGE_SCHEMA_BEHIND".
std::string_view ErrorCodeName(ErrorCode code);

// Process exit codes of PRODUCT §3.
enum class ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2, kUnavailable = 3 };
ExitCode ExitCodeFor(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // "CODE: message", the form printed by the CLI.
  std::string ToString() const;
};

}  // namespace docrunch
