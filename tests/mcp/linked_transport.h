// An in-memory transport linked to a Session: the test plays the client.
// Every message goes through JSON text both ways, as on a real wire.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "mcp/protocol/session.h"

namespace docrunch::mcp::testing {

class LinkedClient {
 public:
  explicit LinkedClient(Session& session) : session_(session) {
    session_.SetUnsolicitedSink([this](const json& m) {
      std::lock_guard lock(mutex_);
      unsolicited_.push_back(json::parse(m.dump()));
    });
  }
  ~LinkedClient() { session_.SetUnsolicitedSink(nullptr); }

  // Sends raw text; returns every message the server sent in reply.
  std::vector<json> SendText(const std::string& text) {
    std::vector<json> out;
    session_.HandleText(text, [&](const json& m) { out.push_back(json::parse(m.dump())); });
    return out;
  }
  // A request; returns its response (the last message of the reply).
  json Request(const std::string& method, json params = json::object()) {
    auto out = SendText(MakeRequest(++next_id_, method, std::move(params)).dump());
    return out.empty() ? json() : out.back();
  }
  void Notify(const std::string& method, json params = json::object()) {
    SendText(MakeNotification(method, std::move(params)).dump());
  }
  json Initialize(const std::string& version = "2025-11-25") {
    json r = Request("initialize", {{"protocolVersion", version},
                                    {"capabilities", json::object()},
                                    {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
    Notify("notifications/initialized");
    return r;
  }
  std::vector<json> Unsolicited() {
    std::lock_guard lock(mutex_);
    return unsolicited_;
  }

 private:
  Session& session_;
  int next_id_ = 0;
  std::mutex mutex_;
  std::vector<json> unsolicited_;
};

}  // namespace docrunch::mcp::testing
