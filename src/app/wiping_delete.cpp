// The binary's operator delete zeroes each block before freeing it.
//
// A provider key sent through REST (the dashboard's way to set one) passes
// through general-purpose buffers before it is sealed: the connection's read
// buffer (Beast), the JSON parser's token buffers (nlohmann), strings that
// grow and leave their old storage behind. None of them wipes what it frees,
// so a freed copy of a key could survive in the heap and in a core dump
// (issue 15: "never in a core dump of a crash test"; tests/e2e/
// secret_core.test.mjs). Zeroing at delete covers every C++ allocation at
// once; libcurl's blocks are zeroed by its own allocation functions
// (llm/http_call.h). The cost is one memset of memory just used, typically
// still in cache. Linked into the executable only: its definitions take
// precedence over the C++ operators libmimalloc.so exports (whose malloc,
// free and malloc_usable_size this calls).
#include <malloc.h>
#include <string.h>

#include <cstdlib>
#include <new>

namespace {

void WipeAndFree(void* p, std::size_t size) noexcept {
  if (p == nullptr) return;
  explicit_bzero(p, size);
  std::free(p);
}

void WipeAndFree(void* p) noexcept {
  if (p != nullptr) WipeAndFree(p, malloc_usable_size(p));
}

}  // namespace

void operator delete(void* p) noexcept {
  WipeAndFree(p);
}
void operator delete[](void* p) noexcept {
  WipeAndFree(p);
}
void operator delete(void* p, std::size_t size) noexcept {
  WipeAndFree(p, size);
}
void operator delete[](void* p, std::size_t size) noexcept {
  WipeAndFree(p, size);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  WipeAndFree(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  WipeAndFree(p);
}
