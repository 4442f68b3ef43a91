// Runs one program to completion, the way the CLI Bridge runs an agent CLI:
// argv passed straight to posix_spawn (no shell ever sees it, so quotes,
// `;`, `$(...)` in any argument are plain bytes), `input` written to its
// stdin (then closed), stdout and stderr captured up to a cap each (the rest
// read and discarded, so the child never blocks on a full pipe), all under
// one deadline.
//
// The child leads its own process group. Whatever it starts (grandchildren)
// is in that group too, and nothing in the group outlives the run:
// - on the deadline the group gets SIGTERM, then SIGKILL after
//   `kill_grace` if the leader has not exited;
// - when the leader exits (by itself or after SIGTERM), the runner waits up
//   to `drain_grace` for the pipes to close, then sends SIGKILL to the group
//   (before reaping the leader, whose zombie keeps the group id from being
//   reused), so a grandchild that kept running or kept a pipe open is gone.
//
// File descriptors other than the three pipes are closed in the child;
// its signal mask is empty and SIGPIPE is back to its default. SIGPIPE from
// writing to a child that stopped reading is never delivered to the caller
// (it is blocked on the calling thread around the writes and consumed).
//
// Thread-safety: RunProcess may be called from many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace docrunch::cli_bridge {

struct RunOptions {
  std::vector<std::string> argv;  // argv[0] is the executable's path (not looked up)
  // The child's environment as NAME=VALUE; nullopt: the caller's own.
  std::optional<std::vector<std::string>> env;
  std::string input;  // written to stdin, which is then closed
  std::chrono::milliseconds timeout{120'000};
  std::chrono::milliseconds kill_grace{2'000};  // SIGTERM -> SIGKILL
  std::chrono::milliseconds drain_grace{500};   // leader gone -> SIGKILL the rest
  std::size_t max_stdout_bytes = 1024 * 1024;
  std::size_t max_stderr_bytes = 64 * 1024;
};

struct RunOutcome {
  int exit_code = -1;   // -1 when a signal ended the leader
  int term_signal = 0;  // the signal that ended it, 0 when it exited
  bool timed_out = false;
  std::string out;  // at most max_stdout_bytes
  std::string err;  // at most max_stderr_bytes
  bool out_truncated = false;
  bool err_truncated = false;
  std::size_t out_bytes = 0;      // everything the child wrote to stdout
  std::size_t input_written = 0;  // bytes of `input` the child took
  std::chrono::milliseconds elapsed{0};
};

// INVALID_PARAMS for an empty argv; IO when the program cannot be started
// (not found, not executable: the message names argv[0]). A program that
// starts and fails is an outcome, not an error.
Result<RunOutcome> RunProcess(const RunOptions& options);

}  // namespace docrunch::cli_bridge
