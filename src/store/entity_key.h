// storage_sync.entity_key (migration 22): one 64-bit integer per entity of
// a repository, shared by its rows of every target, so the sync worker
// finds an entity's rows by one integer seek (storage_sync_by_entity_key)
// instead of four text columns. Two entities may share a key: readers
// match type and id as well. 0 means "no key": rows written without one
// (by an older version, `sync rebuild`'s SQL, by hand) are found by their
// text key.
//
// On SQLite every connection also has it as the SQL function
// storage_sync_key(repository_id, entity_type, entity_id), so a statement
// can seek an entity's rows from an event row (the sync worker's claim).
#pragma once

#include <cstdint>
#include <string_view>

namespace docrunch::store {

// FNV-1a, 64 bits, over fields, each closed by a byte no UTF-8 text
// contains: the same value in every process and every version (lock keys
// and storage_sync.entity_key depend on it; never change it).
class FieldHash {
 public:
  FieldHash& Add(std::string_view bytes) {
    for (unsigned char c : bytes) Mix(c);
    Mix(0xff);
    return *this;
  }
  FieldHash& Add(std::int64_t number);  // as its decimal text
  std::int64_t Value() const { return static_cast<std::int64_t>(h_); }

 private:
  void Mix(unsigned char c) {
    h_ ^= c;
    h_ *= 1099511628211ull;
  }
  std::uint64_t h_ = 14695981039346656037ull;
};

// The entity_key of an entity's rows: its repository, type and id. Never 0.
std::int64_t StorageSyncKey(std::int64_t repository_id, std::string_view entity_type,
                            std::string_view entity_id);

// The name of the SQL function computing it on SQLite.
inline constexpr std::string_view kStorageSyncKeyFunction = "storage_sync_key";

}  // namespace docrunch::store
