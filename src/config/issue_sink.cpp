#include "config/issue_sink.h"

namespace docrunch::config {

std::string ConfigIssue::ToString() const {
  std::string out = source;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

SourceLocation IssueSink::Resolve(const std::string& key) const {
  auto overlay = overlay_sources_.find(key);
  if (overlay != overlay_sources_.end()) return {overlay->second, 0, 0};
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
  auto overlay = overlay_sources_.find(key);
  if (overlay != overlay_sources_.end()) {
    where = {overlay->second, 0, 0};
  } else if (where.line == 0) {
    where = Resolve(key);
  }
  issues_.push_back({where.source, where.line, where.column, key, std::move(message)});
}

}  // namespace docrunch::config
