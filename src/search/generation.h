// The index generation of a repository: a random token in
// search_generations that every write to the repository's index (documents,
// postings, graph scores, a clear) replaces inside its own transaction. A
// process may keep what it read from the index — corpus statistics, the
// documents' lengths and keys — for as long as the token it read before
// reading them is still the current one: the same token means the same
// index, on either backend, across processes and across a restored
// snapshot (tokens are random, not counters that a restore could repeat).
#pragma once

#include <cstdint>
#include <optional>

#include "core/result.h"
#include "store/store.h"

namespace docrunch::search {

// Gives the repository's index a new generation token. Index writers call it
// before their first write in a transaction (once per IndexWriter), so that
// on PostgreSQL every index-writing transaction takes the token's row lock
// first and two of them cannot wait on each other's index rows.
Result<void> MarkIndexChanged(store::Tx& tx, std::int64_t repository_id);

// The repository's current token; none when its index was never written
// since schema version 17 (nothing may then be kept).
Result<std::optional<std::int64_t>> IndexGeneration(store::Reader& db, std::int64_t repository_id);

}  // namespace docrunch::search
