// What two scans of the same tree must agree on, for tests that compare a
// scan with an uninterrupted reference: the rows (without surrogate ids and
// timestamps) and the Markdown folder's bytes.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.h"

namespace docrunch::app {

// What a scan stored, without surrogate ids and timestamps, in a fixed order.
inline std::string Dump(store::Reader& db) {
  const char* queries[] = {
      "SELECT path, language, size, content_hash, mtime_ns, diagnostics, refs FROM files",
      "SELECT f.path, s.kind, s.name, s.qualified_name, s.start_line, s.end_line, s.signature, "
      "s.docstring, s.bases, s.detail, s.implements, s.fields FROM symbols s JOIN files f ON "
      "f.id = s.file_id",
      "SELECT f.path, i.module, i.names, i.alias, i.line, i.is_relative, i.name, i.end_line "
      "FROM imports i JOIN files f ON f.id = i.file_id",
      "SELECT f.path, e.name, e.kind, e.line, e.alias, e.is_default, e.source FROM exports e "
      "JOIN files f ON f.id = e.file_id",
      "SELECT source, target, type, metadata FROM relationships",
      "SELECT doc_key, source_key, type, title, content, file_path, line_number, length, "
      "graph_score FROM search_docs",
  };
  std::vector<std::string> lines;
  for (const char* sql : queries) {
    auto rows = db.Query(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.error().ToString();
    if (!rows.ok()) continue;
    for (const auto& row : rows->rows) {
      std::string line = std::string(sql).substr(7, 12) + "|";
      for (const auto& v : row) {
        if (const auto* i = std::get_if<std::int64_t>(&v)) line += std::to_string(*i);
        if (const auto* d = std::get_if<double>(&v)) {
          std::ostringstream out;
          out.precision(9);
          out << *d;
          line += out.str();
        }
        if (const auto* s = std::get_if<std::string>(&v)) line += *s;
        line += "|";
      }
      lines.push_back(std::move(line));
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Every file under `root`, relative path -> bytes.
inline std::map<std::string, std::string> Tree(const std::filesystem::path& root) {
  std::map<std::string, std::string> files;
  if (!std::filesystem::exists(root)) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    files[std::filesystem::relative(entry.path(), root).string()] = bytes.str();
  }
  return files;
}

}  // namespace docrunch::app
