#include "config/issue_sink.h"

namespace docrunch::config {

std::string ConfigIssue::ToString() const {
  std::string out = source;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

const std::string* IssueSink::OverlayOf(const std::string& key) const {
  // The key or an ancestor: `--set 'scanning.languages=[x]'` sets
  // scanning.languages, and its problem is at scanning.languages[0].
  for (std::string k = key;;) {
    auto it = overlay_sources_.find(k);
    if (it != overlay_sources_.end()) return &it->second;
    auto cut = k.find_last_of(".[");
    if (cut == std::string::npos) return nullptr;
    k.resize(cut);
  }
}

SourceLocation IssueSink::Resolve(const std::string& key) const {
  if (const std::string* overlay = OverlayOf(key)) return {*overlay, 0, 0};
  for (std::string k = key;;) {
    auto it = locations_.find(k);
    if (it != locations_.end()) return it->second;
    auto cut = k.find_last_of(".[");
    if (cut == std::string::npos) break;
    k.resize(cut);
  }
  return {file_, 0, 0};
}

void IssueSink::Add(const std::string& key, std::string message, SourceLocation where) {
  // An overlay's value is parsed on its own: its line and column are not the file's.
  if (OverlayOf(key) != nullptr || where.line == 0) where = Resolve(key);
  issues_.push_back({where.source, where.line, where.column, key, std::move(message)});
}

}  // namespace docrunch::config
