// Answers of read routes kept as the bytes that were sent, so a repeated
// GET of an unchanged list costs a token check and a copy, not a query and
// a JSON document (a dashboard polls /api/tasks; many clients read the same
// page). An answer is served again only while
//
// - the database's change mark (Store::ChangeMark, taken before the answer
//   was read) is the same: any commit, by any connection of any process,
//   retires every kept answer at once, and
// - its own deadline has not passed (a route whose answer depends on the
//   time as well, like claims that expire, sets one).
//
// Keys are the request's path and raw query text, so a cached route's
// answer must depend on nothing else (not on the caller). Bounded: past
// max_bytes everything kept is dropped and the cache fills again.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace docrunch::api {

class AnswerCache {
 public:
  explicit AnswerCache(std::size_t max_bytes = 32u << 20) : max_bytes_(max_bytes) {}

  using Bytes = std::shared_ptr<const std::string>;
  struct Kept {
    Bytes body;
    Bytes gzip;  // the body gzipped, null until a client that takes gzip asked
  };

  // The kept answer for `key` when it was read under `mark` and is still
  // fresh at `now`; a null body otherwise. Shared: written without a copy.
  Kept Find(const std::string& key, const std::string& mark, TimePoint now) const;
  // Keeps `body`, read under `mark`, until the mark moves or `until`.
  void Put(const std::string& key, const std::string& mark, std::optional<TimePoint> until,
           Bytes body);
  // Adds the gzipped body to what is kept for `key` under `mark` (nothing
  // when that answer is gone or newer).
  void AddGzip(const std::string& key, const std::string& mark, Bytes gzip);

  std::size_t bytes() const;

 private:
  struct Entry {
    std::string mark;
    std::optional<TimePoint> until;
    Bytes body;
    Bytes gzip;
  };
  const std::size_t max_bytes_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
  std::size_t bytes_ = 0;                           // GUARDED_BY(mu_)
};

}  // namespace docrunch::api
