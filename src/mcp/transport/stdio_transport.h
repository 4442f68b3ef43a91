// The stdio transport: newline-delimited JSON-RPC messages on stdin, every
// message we send on stdout (one line each), nothing else on stdout (logs
// go to stderr). Requests run on a small worker pool so a long call can be
// cancelled and pings stay fast; notifications (e.g. cancellation) are
// handled on the reading thread at once.
#pragma once

#include <atomic>
#include <cstddef>

#include "mcp/protocol/session.h"

namespace docrunch::mcp {

struct StdioOptions {
  std::size_t max_message_bytes = 4 * 1024 * 1024;
  int workers = 4;
};

// Serves `session` until end of input or until `stop` becomes true (a
// SIGTERM handler sets it); waits for requests in progress, then returns.
// A line longer than max_message_bytes is discarded and answered with
// -32600; the session goes on.
void ServeStdio(Session& session, int in_fd, int out_fd, const StdioOptions& options,
                const std::atomic<bool>& stop);

}  // namespace docrunch::mcp
