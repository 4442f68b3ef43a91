#include "store/entity_key.h"

#include <charconv>

namespace docrunch::store {

FieldHash& FieldHash::Add(std::int64_t number) {
  char text[24];
  auto end = std::to_chars(text, text + sizeof text, number).ptr;
  return Add(std::string_view(text, static_cast<std::size_t>(end - text)));
}

std::int64_t StorageSyncKey(std::int64_t repository_id, std::string_view entity_type,
                            std::string_view entity_id) {
  const std::int64_t key = FieldHash().Add(repository_id).Add(entity_type).Add(entity_id).Value();
  return key == 0 ? 1 : key;
}

}  // namespace docrunch::store
