// Optional embeddings (PRODUCT §7): an OpenAI-compatible endpoint turns
// document and query text into vectors; the index keeps one per document
// (search_vectors) and queries fuse vector-similarity ranks with lexical
// ranks.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace docrunch::search {

struct EmbeddingsOptions {
  std::string base_url;  // "http://127.0.0.1:8080/v1": POST {base_url}/embeddings
  std::string model;
  std::string api_key;  // "" sends no Authorization header; never logged
  int dimensions = 0;   // 0: the model's own; else sent and checked
  int batch_size = 64;  // texts per request
  std::chrono::milliseconds timeout{30'000};
};

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual const std::string& model() const = 0;
  // One L2-normalized vector per text, in order, all of one length.
  // Errors: IO (endpoint unreachable, HTTP error, malformed answer), with
  // the URL and the endpoint's message, never the key.
  virtual Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) = 0;
};

// The OpenAI wire format over libcurl: {"model", "input": [...],
// "encoding_format": "float"[, "dimensions"]} -> {"data": [{"index", "embedding"}]}.
std::shared_ptr<Embedder> MakeHttpEmbedder(EmbeddingsOptions options);

// A vector as stored in search_vectors.vector: base64 of little-endian float32.
std::string EncodeVector(const std::vector<float>& v);
// Empty on malformed text.
std::vector<float> DecodeVector(const std::string& text);

}  // namespace docrunch::search
