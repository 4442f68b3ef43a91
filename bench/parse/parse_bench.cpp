// Parse throughput on one thread: every file under a folder whose language
// the parser supports is read, then parsed (the timed part).
//
//   build/bench/parse/docrunch_parse_bench /usr/lib/python3.11
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "scan/parser/parser.h"

namespace fs = std::filesystem;
using docrunch::scan::Language;
using docrunch::scan::Parser;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FOLDER\n", argv[0]);
    return 2;
  }
  std::vector<std::pair<Language, std::string>> files;
  std::size_t bytes = 0;
  for (const auto& entry :
       fs::recursive_directory_iterator(argv[1], fs::directory_options::skip_permission_denied)) {
    if (!entry.is_regular_file()) continue;
    Language language = docrunch::scan::LanguageForPath(entry.path().string());
    if (!Parser::Supports(language)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    bytes += text.str().size();
    files.emplace_back(language, text.str());
  }
  Parser parser;
  std::size_t symbols = 0, calls = 0;
  std::map<std::string, int> diagnostics;
  auto start = std::chrono::steady_clock::now();
  for (const auto& [language, source] : files) {
    auto parsed = parser.Parse(language, source);
    if (!parsed) continue;
    symbols += parsed->symbols.size();
    calls += parsed->calls.size();
    for (const auto& d : parsed->diagnostics) ++diagnostics[d.code];
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%zu files, %.1f MB in %.2f s: %.0f files/s, %.2f MB/s; %zu symbols, %zu calls\n",
              files.size(), static_cast<double>(bytes) / 1e6, seconds,
              static_cast<double>(files.size()) / seconds,
              static_cast<double>(bytes) / 1e6 / seconds, symbols, calls);
  for (const auto& [code, count] : diagnostics)
    std::printf("  %s: %d files\n", code.c_str(), count);
}
