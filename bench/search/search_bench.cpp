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
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
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
  // Each query-analysis signal's contribution: the default without it.
  // Earlier rounds' settings, on this index (its tokenizer and stemmer are
  // this build's): the sixth round's had coverage 0.5 and no private-name
  // factor; the fifth's no deprecation either; the fourth's no proximity;
  // the third's k1 1.2 and coverage 0.3.
  search::SearchOptions sixth = defaults;
  sixth.coverage_weight = 0.5;
  sixth.private_weight = 0;
  search::SearchOptions fifth = sixth;
  fifth.deprecated_weight = 0;
  search::SearchOptions fourth = fifth;
  fourth.proximity_weight = 0;
  search::SearchOptions third = fourth;
  third.bm25_k1 = 1.2;
  third.coverage_weight = 0.3;
  out.push_back({"the third round's settings (k1 1.2, coverage 0.3)", third});
  out.push_back({"the fourth round's settings (no proximity)", fourth});
  out.push_back({"the fifth round's settings (no deprecation)", fifth});
  out.push_back({"the sixth round's settings (coverage 0.5, no private factor)", sixth});
  search::SearchOptions no_private = defaults;
  no_private.private_weight = 0;
  out.push_back({"default without the private-name factor", no_private});
  search::SearchOptions no_joined = defaults;
  no_joined.joined_weight = 0;
  out.push_back({"default without joined words", no_joined});
  // The signals after BM25 (rerank.h), each left out or added.
  search::SearchOptions no_name = defaults;
  no_name.name_weight = 0;
  out.push_back({"default without name coverage", no_name});
  search::SearchOptions no_file = defaults;
  no_file.file_lexical_weight = 0;
  out.push_back({"default without whole-file BM25", no_file});
  search::SearchOptions neither = no_name;
  neither.file_lexical_weight = 0;
  out.push_back({"default without either (the ranking before)", neither});
  search::SearchOptions context = defaults;
  context.file_context_weight = 0.5;
  out.push_back({"default + file context 0.5", context});
  search::SearchOptions associations = defaults;
  associations.association_weight = 0.3;
  out.push_back({"default + term associations 0.3", associations});
  search::SearchOptions translation = defaults;
  translation.translation_weight = 1.0;
  out.push_back({"default + translation 1", translation});
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

// Variants from a JSON file (DOCRUNCH_BENCH_VARIANTS): [{"name": ...,
// "options": {"bm25_b": 0.7, ...}}, ...], each on top of the defaults; the
// fallback is ranked too. For exploring settings without a rebuild.
std::vector<Variant> VariantsFromFile(const std::string& path) {
  std::vector<Variant> out;
  std::ifstream in(path);
  nlohmann::json list = nlohmann::json::parse(in);
  for (const auto& v : list) {
    search::SearchOptions o;
    const nlohmann::json opts = v.value("options", nlohmann::json::object());
    for (const auto& [key, value] : opts.items()) {
      if (key == "graph") {
        const std::string g = value.get<std::string>();
        o.graph = g == "none"  ? search::GraphFusion::kNone
                  : g == "rrf" ? search::GraphFusion::kRrf
                               : search::GraphFusion::kPrior;
      } else if (key == "graph_weight") {
        o.graph_weight = value.get<double>();
      } else if (key == "bm25_k1") {
        o.bm25_k1 = value.get<double>();
      } else if (key == "bm25_b") {
        o.bm25_b = value.get<double>();
      } else if (key == "coverage_weight") {
        o.coverage_weight = value.get<double>();
      } else if (key == "joined_weight") {
        o.joined_weight = value.get<double>();
      } else if (key == "association_weight") {
        o.association_weight = value.get<double>();
      } else if (key == "name_weight") {
        o.name_weight = value.get<double>();
      } else if (key == "file_context_weight") {
        o.file_context_weight = value.get<double>();
      } else if (key == "file_damping") {
        o.file_damping = value.get<double>();
      } else if (key == "module_file_weight") {
        o.module_file_weight = value.get<double>();
      } else if (key == "file_lexical_weight") {
        o.file_lexical_weight = value.get<double>();
      } else if (key == "file_bm25_b") {
        o.file_bm25_b = value.get<double>();
      } else if (key == "translation_weight") {
        o.translation_weight = value.get<double>();
      } else if (key == "translation_measure") {
        o.translation_measure = value.get<int>();
      } else if (key == "proximity_weight") {
        o.proximity_weight = value.get<double>();
      } else if (key == "proximity_depth") {
        o.proximity_depth = value.get<int>();
      } else if (key == "private_weight") {
        o.private_weight = value.get<double>();
      } else if (key == "deprecated_weight") {
        o.deprecated_weight = value.get<double>();
      } else if (key == "translation_min_pairs") {
        o.translation_min_pairs = value.get<int>();
      } else if (key == "association_terms") {
        o.association_terms = value.get<int>();
      } else if (key == "fulltext") {
        o.engine = search::Engine::kFullText;
      } else {
        std::cerr << "unknown option " << key << "\n";
        std::exit(2);
      }
    }
    out.push_back({v["name"].get<std::string>(), o});
  }
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
    if (line.empty()) continue;
    queries.push_back(nlohmann::json::parse(line));
    // The realistic harness numbers its queries by line.
    if (!queries.back().contains("qid")) queries.back()["qid"] = queries.size() - 1;
  }
  std::ofstream out(argv[3]);
  const char* variants_file = std::getenv("DOCRUNCH_BENCH_VARIANTS");
  const std::vector<Variant> variants =
      variants_file && *variants_file ? VariantsFromFile(variants_file) : Variants(sweep);
  for (const auto& variant : variants) {
    std::vector<double> cpu_ms;
    std::map<std::string, std::vector<double>> stage_ms;  // wall time per stage
    for (const auto& q : queries) {
      // The realistic harness's queries name their answers in "expected";
      // the docstring harness's in "path" and "qualname".
      const bool realistic = q.contains("expected");
      const std::string target = realistic ? ""
                                           : "symbol:" + q["path"].get<std::string>() + "#" +
                                                 q["qualname"].get<std::string>();
      // Enough results for ten distinct files.
      const std::clock_t started = std::clock();
      search::SearchTimings timings;
      auto results = search::Search(**store, repo_id, q["query"].get<std::string>(), 100,
                                    search::Scope::kDocs, variant.options, &timings);
      cpu_ms.push_back(1000.0 * static_cast<double>(std::clock() - started) / CLOCKS_PER_SEC);
      for (const auto& [stage, ms] : timings.stages) stage_ms[stage].push_back(ms);
      if (!results) {
        std::cerr << q["query"] << ": " << results.error().ToString() << "\n";
        return 1;
      }
      int symbol_rank = 0, file_rank = 0;
      std::vector<std::string> files, ids;
      for (std::size_t i = 0; i < results->size(); ++i) {
        const auto& r = (*results)[i];
        if (i < 10 && r.id == target) symbol_rank = static_cast<int>(i + 1);
        if (i < 10 && r.id.rfind("symbol:", 0) == 0) {
          // "symbol:path#Name@12" (a second definition of Name) counts as Name.
          std::string id = r.id.substr(7);
          if (auto at = id.find('@', id.find('#')); at != std::string::npos) id.resize(at);
          ids.push_back(id);
        } else if (i < 10) {
          ids.push_back(r.id);
        }
        if (!r.file_path || files.size() >= 10) continue;
        if (std::find(files.begin(), files.end(), *r.file_path) == files.end()) {
          files.push_back(*r.file_path);
          if (!realistic && *r.file_path == q["path"]) file_rank = static_cast<int>(files.size());
        }
      }
      nlohmann::json line{{"qid", q["qid"]}, {"variant", variant.name}};
      if (realistic) {
        line["ids"] = ids;
        line["files"] = files;
      } else {
        line["symbol_rank"] = symbol_rank;
        line["file_rank"] = file_rank;
        if (std::getenv("DOCRUNCH_BENCH_IDS")) {  // for diffing two rankings
          line["ids"] = ids;
          line["files"] = files;
        }
      }
      out << line.dump() << "\n";
    }
    std::sort(cpu_ms.begin(), cpu_ms.end());
    if (!cpu_ms.empty()) {
      std::cerr << "bench: " << variant.name << ": median CPU per query "
                << cpu_ms[cpu_ms.size() / 2] << " ms, p90 " << cpu_ms[cpu_ms.size() * 9 / 10]
                << " ms; median wall ms per stage:";
      for (auto& [stage, ms] : stage_ms) {
        std::sort(ms.begin(), ms.end());
        std::cerr << " " << stage << " " << ms[ms.size() / 2];
      }
      std::cerr << "\n";
    }
  }
  return 0;
}
