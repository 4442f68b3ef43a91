// The MCP protocol core: one Session per connected client. It owns the
// lifecycle (initialize, version negotiation, initialized), the handler map,
// ping, cancellation, progress, logging/setLevel and batches; it knows
// nothing of transports. A transport hands it each message it received
// together with a Reply callback; everything that belongs to that message
// (progress and log notifications emitted while handling it, then its
// response) goes to that callback. Messages that belong to no request
// (resource updates, list changes) go to the session's unsolicited sink.
//
// Thread-safety: Handle() may run concurrently for different requests of
// the same session (a transport may give each request its own thread), so
// a long call can be cancelled by a later notifications/cancelled. Handlers
// must be registered before the first Handle().
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mcp/protocol/json_rpc.h"

namespace docrunch::mcp {

// The protocol revisions this server speaks, newest first.
const std::vector<std::string>& SupportedProtocolVersions();
inline constexpr const char* kLatestProtocolVersion = "2025-11-25";

// RFC 5424 levels as MCP names them, lowest first; -1 for an unknown name.
int LogLevelRank(const std::string& level);

using Reply = std::function<void(const json& message)>;

class Session;

// What a request handler sees of the request it serves.
class RequestContext {
 public:
  RequestContext(Session& session, json id, json params, Reply reply,
                 std::shared_ptr<std::atomic<bool>> cancelled);

  const json& id() const { return id_; }
  const json& params() const { return params_; }
  Session& session() { return session_; }
  // Set once the client cancelled this request; a handler doing long work
  // checks it and stops early. Its answer is then dropped.
  bool Cancelled() const { return cancelled_->load(); }
  // notifications/progress for this request, if the client asked for
  // progress (params._meta.progressToken); otherwise nothing.
  void Progress(double progress, std::optional<double> total, const std::string& message);
  // A notifications/message log line related to this request.
  void Log(const std::string& level, const std::string& logger, const json& data);

 private:
  Session& session_;
  json id_;
  json params_;
  json progress_token_;
  Reply reply_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
};

// A handler answers with a result object or an RpcError.
using HandlerOutcome = std::variant<json, RpcError>;
using RequestHandler = std::function<HandlerOutcome(RequestContext&)>;
using NotificationHandler = std::function<void(const json& params)>;

struct Implementation {
  std::string name;
  std::string title;
  std::string version;
};

class Session {
 public:
  // `capabilities` is sent in the initialize result; `instructions` too
  // when not empty.
  Session(Implementation info, json capabilities, std::string instructions);

  void OnRequest(const std::string& method, RequestHandler handler);
  // Asked before every handler registered with OnRequest runs: an error to
  // answer instead (the session may no longer ask), or nothing.
  void SetRequestGuard(std::function<std::optional<RpcError>(const std::string& method)> guard) {
    guard_ = std::move(guard);
  }
  void OnNotification(const std::string& method, NotificationHandler handler);
  // Runs after a successful initialize (with the client's params), e.g. to
  // audit the connect.
  void OnInitialized(std::function<void(const json& params)> hook) {
    on_initialize_ = std::move(hook);
  }

  // Where unsolicited messages go (stdout for stdio, the GET stream for
  // HTTP). Until set they are dropped.
  void SetUnsolicitedSink(Reply sink);

  // Handles one message (or, for 2025-03-26, a batch) already parsed from
  // JSON text. Returns after the reply for it was passed to `reply`
  // (requests) or at once (notifications, responses).
  void Handle(const json& message, const Reply& reply);
  // Parses `text` first; malformed JSON is answered with -32700 (id null).
  void HandleText(const std::string& text, const Reply& reply);

  // Sends a notification to the client through the unsolicited sink.
  void Notify(const std::string& method, json params);
  // notifications/message when `level` is at or above the client's level.
  void Log(const std::string& level, const std::string& logger, const json& data,
           const Reply* reply = nullptr);

  bool initialized() const { return initialized_.load(); }
  std::string protocol_version() const;
  json client_info() const;

 private:
  void HandleRequest(const json& message, const Reply& reply);
  void HandleNotification(const json& message);
  HandlerOutcome Initialize(const json& params);

  Implementation info_;
  json capabilities_;
  std::string instructions_;
  std::map<std::string, RequestHandler> requests_;
  std::function<std::optional<RpcError>(const std::string& method)> guard_;
  std::map<std::string, NotificationHandler> notifications_;
  std::function<void(const json&)> on_initialize_;

  mutable std::mutex mutex_;
  std::string protocol_version_;  // GUARDED_BY(mutex_); "" before initialize
  json client_info_;              // GUARDED_BY(mutex_)
  int log_level_ = 4;             // GUARDED_BY(mutex_); "warning"
  Reply sink_;                    // GUARDED_BY(mutex_)
  // In-flight requests by their id's JSON text, for cancellation.
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> in_flight_;  // GUARDED_BY(mutex_)
  std::atomic<bool> initialized_{false};
};

}  // namespace docrunch::mcp
