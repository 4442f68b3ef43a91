// Ranks every query of bench/search/evaluate.py's queries.jsonl with
// Docrunch's search, in several ranking variants, straight on a scanned
// SQLite database; writes one JSON line per (query, variant) with the
// 1-based rank of the target function and of its file within the top 10
// (0: not there). See README.md.
//
//   docrunch_search_bench DB QUERIES.jsonl OUT.jsonl [--sweep]
//
// With DOCRUNCH_BENCH_EMBEDDINGS_URL (the stand-in's /v1 URL) the default
// ranking is also run with vectors fused in.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "search/search.h"
#include "store/store.h"

using namespace docrunch;

namespace {

struct Variant {
  std::string name;
  search::SearchOptions options;
};

std::vector<Variant> Variants(bool sweep) {
  std::vector<Variant> out;
  auto make = [](search::Engine engine, search::GraphFusion graph, double weight) {
    search::SearchOptions o;
    o.engine = engine;
    o.graph = graph;
    o.graph_weight = weight;
    return o;
  };
  using search::Engine;
  using search::GraphFusion;
  out.push_back({"Docrunch index: lexical only", make(Engine::kIndex, GraphFusion::kNone, 0)});
  search::SearchOptions defaults;
  out.push_back({"Docrunch index: default (lexical + graph)", defaults});
  if (sweep) {
    for (double w : {0.05, 0.1, 0.2, 0.3, 0.5}) {
      out.push_back({"lexical + graph prior w=" + nlohmann::json(w).dump(),
                     make(Engine::kIndex, GraphFusion::kPrior, w)});
    }
    for (double b : {0.3, 0.75, 0.9}) {
      search::SearchOptions o = make(Engine::kIndex, GraphFusion::kNone, 0);
      o.bm25_b = b;
      out.push_back({"lexical only, BM25 b=" + nlohmann::json(b).dump(), o});
      o.graph = GraphFusion::kPrior;
      o.graph_weight = 0.1;
      out.push_back({"lexical + graph prior w=0.1, BM25 b=" + nlohmann::json(b).dump(), o});
    }
    for (double w : {0.1, 0.25, 0.5, 1.0}) {
      out.push_back({"lexical + graph RRF w=" + nlohmann::json(w).dump(),
                     make(Engine::kIndex, GraphFusion::kRrf, w)});
    }
  }
  if (const char* url = std::getenv("DOCRUNCH_BENCH_EMBEDDINGS_URL"); url && *url) {
    search::EmbeddingsOptions e;
    e.base_url = url;
    e.model = "stand-in-trigrams";
    auto embedder = search::MakeHttpEmbedder(e);
    for (double w : {0.5, 1.0}) {
      search::SearchOptions o;
      o.embedder = embedder;
      o.vector_weight = w;
      out.push_back({"default + stand-in vectors (RRF w=" + nlohmann::json(w).dump() + ")", o});
    }
  }
  out.push_back(
      {"Docrunch fallback: database full-text", make(Engine::kFullText, GraphFusion::kNone, 0)});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: docrunch_search_bench DB QUERIES.jsonl OUT.jsonl [--sweep]\n";
    return 2;
  }
  bool sweep = argc > 4 && std::string(argv[4]) == "--sweep";
  store::StoreOptions options;
  options.sqlite_path = argv[1];
  auto store = store::OpenStore(options);
  if (!store) {
    std::cerr << store.error().ToString() << "\n";
    return 1;
  }
  auto repo = (*store)->Query("SELECT id FROM repositories ORDER BY id LIMIT 1");
  if (!repo || repo->empty()) {
    std::cerr << "no repository in " << argv[1] << "\n";
    return 1;
  }
  std::int64_t repo_id = *repo->Int(0, "id");
  std::vector<nlohmann::json> queries;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) queries.push_back(nlohmann::json::parse(line));
  }
  std::ofstream out(argv[3]);
  for (const auto& variant : Variants(sweep)) {
    for (const auto& q : queries) {
      const std::string target =
          "symbol:" + q["path"].get<std::string>() + "#" + q["qualname"].get<std::string>();
      // Enough results for ten distinct files.
      auto results = search::Search(**store, repo_id, q["query"].get<std::string>(), 100,
                                    search::Scope::kDocs, variant.options);
      if (!results) {
        std::cerr << q["query"] << ": " << results.error().ToString() << "\n";
        return 1;
      }
      int symbol_rank = 0, file_rank = 0;
      std::vector<std::string> files;
      for (std::size_t i = 0; i < results->size(); ++i) {
        const auto& r = (*results)[i];
        if (i < 10 && r.id == target) symbol_rank = static_cast<int>(i + 1);
        if (!r.file_path || files.size() >= 10) continue;
        if (std::find(files.begin(), files.end(), *r.file_path) == files.end()) {
          files.push_back(*r.file_path);
          if (*r.file_path == q["path"]) file_rank = static_cast<int>(files.size());
        }
      }
      out << nlohmann::json{{"qid", q["qid"]},
                            {"variant", variant.name},
                            {"symbol_rank", symbol_rank},
                            {"file_rank", file_rank}}
                 .dump()
          << "\n";
    }
  }
  return 0;
}
