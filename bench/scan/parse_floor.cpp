// The raw tree-sitter floor of a scan: the same walk as `docrunch scan`
// (ignore rules, language filter, 500 KB limit, content hashing), then every
// supported file read and parsed with ts_parser_parse only (no extraction, no
// database) on the same number of threads, one TSParser per thread.
//
//   build/bench/scan/docrunch_parse_floor [--threads N] FOLDER
//
// Prints one line: files, bytes, walk ms, read+parse ms, total ms and the
// CPU time spent inside ts_parser_parse. Nothing a scan does can be faster
// than this without skipping the parse itself.
#include <tree_sitter/api.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "scan/parser/languages.h"
#include "scan/walker.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace scan = docrunch::scan;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::filesystem::path root;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else {
      root = argv[i];
    }
  }
  if (root.empty()) {
    std::fprintf(stderr, "usage: %s [--threads N] FOLDER\n", argv[0]);
    return 2;
  }
  const auto start = Clock::now();
  scan::WalkOptions options;
  options.parallel_workers = static_cast<int>(threads);
  options.ignore.ignore_file = root / ".docrunch" / "ignore.yaml";
  auto walk = scan::WalkRepository(root, options);
  if (!walk) {
    std::fprintf(stderr, "%s\n", walk.error().ToString().c_str());
    return 1;
  }
  const double walk_ms = MsSince(start);

  std::atomic<std::size_t> next{0}, bytes{0}, parsed{0};
  std::atomic<long long> parse_ns{0};
  auto work = [&] {
    TSParser* parser = ts_parser_new();
    for (std::size_t i = next++; i < walk->files.size(); i = next++) {
      const scan::WalkedFile& f = walk->files[i];
      const scan::LanguageSupport* support = scan::FindLanguageSupport(f.language);
      if (support == nullptr) continue;
      std::string source = ReadAll(root / f.path);
      const auto parse_start = Clock::now();
      ts_parser_set_language(parser, support->grammar());
      TSTree* tree = ts_parser_parse_string(parser, nullptr, source.data(),
                                            static_cast<uint32_t>(source.size()));
      ts_tree_delete(tree);
      parse_ns +=
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - parse_start).count();
      bytes += source.size();
      ++parsed;
    }
    ts_parser_delete(parser);
  };
  const auto parse_start = Clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  const double parse_ms = MsSince(parse_start);
  std::printf(
      "files %zu bytes %zu threads %u walk_ms %.1f parse_ms %.1f total_ms %.1f "
      "parse_cpu_ms %.1f\n",
      parsed.load(), bytes.load(), threads, walk_ms, parse_ms, MsSince(start),
      static_cast<double>(parse_ns.load()) / 1e6);
}
