#include "api/answer_cache.h"

#include <mutex>

namespace docrunch::api {

AnswerCache::Kept AnswerCache::Find(const std::string& key, const std::string& mark,
                                    TimePoint now) const {
  std::shared_lock lock(mu_);
  auto found = entries_.find(key);
  if (found == entries_.end()) return {};
  const Entry& e = found->second;
  if (e.mark != mark || (e.until && now >= *e.until)) return {};
  return {e.body, e.gzip};
}

void AnswerCache::AddGzip(const std::string& key, const std::string& mark, Bytes gzip) {
  if (!gzip) return;
  std::unique_lock lock(mu_);
  auto found = entries_.find(key);
  if (found == entries_.end() || found->second.mark != mark || found->second.gzip) return;
  if (bytes_ + gzip->size() > max_bytes_) return;
  bytes_ += gzip->size();
  found->second.gzip = std::move(gzip);
}

void AnswerCache::Put(const std::string& key, const std::string& mark,
                      std::optional<TimePoint> until, std::shared_ptr<const std::string> body) {
  if (!body) return;
  std::size_t size = key.size() + mark.size() + body->size();
  if (size > max_bytes_) return;
  std::unique_lock lock(mu_);
  auto found = entries_.find(key);
  if (found != entries_.end()) {
    bytes_ -= key.size() + found->second.mark.size() + found->second.body->size() +
              (found->second.gzip ? found->second.gzip->size() : 0);
    entries_.erase(found);
  }
  if (bytes_ + size > max_bytes_) {
    // Answers of older marks are dead weight anyway; start over.
    entries_.clear();
    bytes_ = 0;
  }
  entries_.emplace(key, Entry{mark, until, std::move(body), nullptr});
  bytes_ += size;
}

std::size_t AnswerCache::bytes() const {
  std::shared_lock lock(mu_);
  return bytes_;
}

}  // namespace docrunch::api
