#include "api/answer_cache.h"

#include <mutex>

namespace docrunch::api {

std::shared_ptr<const std::string> AnswerCache::Find(const std::string& key,
                                                     const std::string& mark,
                                                     TimePoint now) const {
  std::shared_lock lock(mu_);
  auto found = entries_.find(key);
  if (found == entries_.end()) return nullptr;
  const Entry& e = found->second;
  if (e.mark != mark || (e.until && now >= *e.until)) return nullptr;
  return e.body;
}

void AnswerCache::Put(const std::string& key, const std::string& mark,
                      std::optional<TimePoint> until,
                      std::shared_ptr<const std::string> body) {
  if (!body) return;
  std::size_t size = key.size() + mark.size() + body->size();
  if (size > max_bytes_) return;
  std::unique_lock lock(mu_);
  auto found = entries_.find(key);
  if (found != entries_.end()) {
    bytes_ -= key.size() + found->second.mark.size() + found->second.body->size();
    entries_.erase(found);
  }
  if (bytes_ + size > max_bytes_) {
    // Answers of older marks are dead weight anyway; start over.
    entries_.clear();
    bytes_ = 0;
  }
  entries_.emplace(key, Entry{mark, until, std::move(body)});
  bytes_ += size;
}

std::size_t AnswerCache::bytes() const {
  std::shared_lock lock(mu_);
  return bytes_;
}

}  // namespace docrunch::api
