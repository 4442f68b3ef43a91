// The LLM provider stand-in (tests/support/llm_standin.py: the OpenAI,
// Anthropic, Google, Ollama and CLI Bridge wire formats over Python's
// http.server) as a child process, with its control endpoints.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "support/script_server.h"

namespace docrunch::testing {

class LlmStandIn {
 public:
  // Starts the server; with a `key`, requests must present it (Ollama's
  // routes take none).
  explicit LlmStandIn(const std::string& key = "");
  LlmStandIn(const LlmStandIn&) = delete;
  LlmStandIn& operator=(const LlmStandIn&) = delete;

  int port() const { return server_.port(); }  // 0: it did not start
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  // Queues scripted answers (see the script's doc string).
  void Script(const nlohmann::json& items) const;
  // The last request: {path, headers (lower-case names), body}.
  nlohmann::json Last() const;
  int Requests() const;

 private:
  std::string Http(const std::string& method, const std::string& path,
                   const std::string& body) const;
  ScriptServer server_;
};

}  // namespace docrunch::testing
