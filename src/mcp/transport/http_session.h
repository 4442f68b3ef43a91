// One Streamable HTTP session: the McpServer serving it and the SSE streams
// its messages travel on. No sockets here; http_transport.cpp moves the
// bytes. Kept apart so the routing rules read (and are tested) on their own.
//
// Streams. Every SSE response is a stream with a session-unique number:
// the answer to a POST (its progress and log notifications, then the
// response) or a standalone GET stream. Every event is recorded on its
// stream (the last kReplay of them) with the id "<stream>-<seq>", so a
// client that lost a connection resumes with GET + Last-Event-ID and gets
// exactly the events of that stream after that id, never those of another.
// Messages that belong to no request (resource updates, list changes) go
// to one stream only, not to all: the newest standalone stream with a
// reader, else the newest standalone stream (for a later resume), else a
// pending queue the next standalone stream starts with.
//
// Ownership. Sessions are shared: the server's session list, every
// connection serving the session and nobody else hold a shared_ptr. The
// McpServer's outgoing sink holds a weak_ptr, so a notification racing a
// DELETE or an expiry finds either a live session or none, never freed
// memory.
//
// Thread-safety: every member function may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mcp/server/mcp_server.h"

namespace docrunch::mcp {

struct SseEvent {
  std::string id;    // "<stream>-<seq>"
  std::string data;  // one JSON-RPC message; "" for a priming event
};

// An event id split into its stream and sequence number; nullopt when it
// is not one this server issues.
struct EventPosition {
  int stream = 0;
  std::int64_t seq = 0;
};
std::optional<EventPosition> ParseEventId(const std::string& id);

// A reader's claim on a stream: only the newest reader of a stream gets
// its events; an older one sees kSuperseded and ends.
struct StreamCursor {
  int stream = 0;
  std::uint64_t reader = 0;
  std::int64_t after = 0;  // the last seq the reader has
};

enum class StreamState { kEvents, kIdle, kEnded };

class HttpSession {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kReplay = 256;  // events kept per stream
  static constexpr std::size_t kMaxStreams = 32;

  // Creates the session and points the server's unsolicited sink at it.
  static std::shared_ptr<HttpSession> Create(std::string id, Identity identity,
                                             std::shared_ptr<McpServer> server);

  const std::string& id() const { return id_; }
  const Identity& identity() const { return identity_; }
  McpServer& server() { return *server_; }
  const std::shared_ptr<McpServer>& shared_server() const { return server_; }

  // --- streams ---
  // A new stream with this caller as its reader. A standalone stream takes
  // over the pending unsolicited messages.
  StreamCursor OpenStream(bool standalone);
  // Continues the stream named by a Last-Event-ID after its seq; nullopt
  // when that stream is unknown here (never issued, or pruned).
  std::optional<StreamCursor> ResumeStream(const EventPosition& from);
  // Records `message` on the cursor's stream. Returns the event when this
  // cursor still is the stream's reader (the caller writes it), else
  // nullopt (the newer reader will).
  std::optional<SseEvent> Append(StreamCursor& cursor, const json& message);
  // The POST that owns a stream has sent its response: after its events,
  // the stream ends.
  void FinishStream(const StreamCursor& cursor);
  // Events after the cursor, waiting up to `wait` for one. kIdle: none came
  // (send a keep-alive); kEnded: the session closed, the stream finished and
  // was drained, a newer reader took it, or `stop` was set.
  StreamState Next(StreamCursor& cursor, std::chrono::milliseconds wait,
                   const std::atomic<bool>& stop, std::vector<SseEvent>& out);
  // The reader is gone (it finished or its client left).
  void Release(const StreamCursor& cursor);
  // A message that belongs to no request.
  void Unsolicited(const json& message);

  // --- lifetime ---
  // A request is being served (not idle until the guard ends).
  class Busy {
   public:
    explicit Busy(HttpSession& s);
    ~Busy();
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

   private:
    HttpSession& session_;
  };
  // Idle: no request in progress, no stream being read, and nothing
  // received for `limit`.
  bool IdleFor(Clock::time_point now, Clock::duration limit) const;
  // Ends the session: readers see kEnded, later messages are dropped.
  void Close();
  bool closed() const;

 private:
  struct Stream {
    bool standalone = false;
    bool finished = false;
    std::uint64_t reader = 0;  // 0: nobody reads it now
    std::int64_t next_seq = 1;
    std::deque<SseEvent> events;
    std::deque<std::int64_t> seqs;  // parallel to events
  };
  HttpSession(std::string id, Identity identity, std::shared_ptr<McpServer> server);
  SseEvent Record(int number, Stream& stream, const json& message);  // needs mutex_
  void Prune();                                                      // needs mutex_

  const std::string id_;
  const Identity identity_;
  const std::shared_ptr<McpServer> server_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<int, Stream> streams_;  // GUARDED_BY(mutex_)
  int next_stream_ = 1;            // GUARDED_BY(mutex_)
  std::uint64_t next_reader_ = 1;  // GUARDED_BY(mutex_)
  std::deque<json> pending_;       // GUARDED_BY(mutex_)
  int busy_ = 0;                   // GUARDED_BY(mutex_)
  Clock::time_point last_used_;    // GUARDED_BY(mutex_)
  bool closed_ = false;            // GUARDED_BY(mutex_)
};

}  // namespace docrunch::mcp
