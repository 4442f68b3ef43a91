// An HTTP client for the LightRAG server API (HKUDS/LightRAG,
// lightrag/api/routers/document_routes.py and query_routes.py):
//
//   POST   /documents/text             {"text", "file_source"} -> {"status", "message", "track_id"}
//   DELETE /documents/delete_document  {"doc_ids": [...], "delete_file": false}
//                                      -> {"status": "deletion_started"|"busy"|"not_allowed", ...}
//   POST   /query                      {"query", "mode", "top_k", ...} -> {"response", ...}
//   GET    /health                     -> {"status": "healthy", ...}
//
// LightRAG names a document "doc-" + md5 of its (sanitized) text, and the
// insert answers "duplicated" when that id or the file_source already
// exists. DocumentId() computes the same id for text that NormalizeText()
// produced, so a caller can delete what it inserted.
//
// The API key goes in the X-API-Key header and is never logged or put in an
// error message. Errors: IO for a server that cannot be reached, answers
// 5xx, is busy or answers something unexpected (worth retrying);
// INVALID_PARAMS for a request it rejects as invalid (400, 422: retrying
// cannot help); UNAUTHORIZED for 401/403.
//
// Thread-safety: every call uses its own connection; one client may be
// shared by threads.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"

namespace docrunch::sync {

struct LightRagClientOptions {
  std::string base_url = "http://127.0.0.1:9621";  // without a trailing "/"
  std::string api_key;                             // "" for none; never logged
  std::chrono::milliseconds timeout{30000};
};

struct InsertOutcome {
  std::string status;  // "success" or "duplicated" (both mean the text is there)
  std::string track_id;
};

class LightRagClient {
 public:
  explicit LightRagClient(LightRagClientOptions options);

  Result<InsertOutcome> InsertText(const std::string& text, const std::string& file_source) const;
  // Asks LightRAG to delete the documents (it does so in the background).
  // IO when it answers "busy" (its pipeline is indexing): try again later.
  Result<void> DeleteDocuments(const std::vector<std::string>& doc_ids) const;
  // The server's answer to a question, as JSON ({"response": ...}).
  Result<nlohmann::json> Query(const std::string& query, const std::string& mode = "mix",
                               int top_k = 10) const;
  // OK when /health answers {"status": "healthy"}.
  Result<nlohmann::json> Health() const;

  const std::string& base_url() const { return options_.base_url; }

 private:
  Result<nlohmann::json> Call(const char* method, const std::string& path,
                              const nlohmann::json* body) const;

  LightRagClientOptions options_;
};

// Text as LightRAG keeps it: valid UTF-8 without control characters (tabs
// and newlines stay), U+FFFE/U+FFFF and C1 controls, '&' spelled "＆" (the
// server HTML-unescapes before hashing), no surrounding whitespace.
std::string NormalizeText(const std::string& text);

// "doc-" + lowercase hex md5 of `normalized_text`.
std::string DocumentId(const std::string& normalized_text);

// Splits text into pieces of at most `size` bytes (cut at a newline or
// space in the second half of the window when there is one, never inside a
// UTF-8 sequence), each starting `overlap` bytes before the previous end.
std::vector<std::string> ChunkText(const std::string& text, int size, int overlap);

}  // namespace docrunch::sync
