// The embeddings stand-in (support/embeddings_standin.py: the OpenAI
// embeddings wire format over Python's http.server) as a child process.
#pragma once

#include <string>

#include "support/script_server.h"

namespace docrunch::testing {

class EmbeddingsStandIn {
 public:
  // Starts the server; it refuses requests without `key` as their bearer.
  explicit EmbeddingsStandIn(const std::string& key);
  EmbeddingsStandIn(const EmbeddingsStandIn&) = delete;
  EmbeddingsStandIn& operator=(const EmbeddingsStandIn&) = delete;

  int port() const { return server_.port(); }  // 0: it did not start
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/v1"; }
  // Embeddings requests answered so far (GET /stats); -1 on error.
  int Requests() const;
  // While set, embeddings requests answer 503 (POST /control).
  void SetFailing(bool failing) const;

 private:
  std::string Call(const std::string& args) const;
  ScriptServer server_;
};

}  // namespace docrunch::testing
