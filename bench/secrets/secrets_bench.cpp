// What opening a sealed provider secret costs per call (llm/secret_box.h:
// base64url decoding, XChaCha20-Poly1305 decryption into a zeroed-on-free
// Secret), against two floors on the same bytes in the same run: a plain
// copy into a fresh buffer (memcpy + free, what any "decrypt" must at least
// do) and a BLAKE2b hash (crypto_generichash: one pass of a fast
// cryptographic primitive). Medians over many batches; ratios to the floors.
//
//   build/bench/secrets/docrunch_secrets_bench [CALLS_PER_BATCH] [BATCHES]
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "llm/secret_box.h"

using Clock = std::chrono::steady_clock;
using docrunch::llm::SecretBox;
using docrunch::llm::SecretKey;

namespace {

volatile std::size_t g_sink = 0;  // keeps the work observable

// Median nanoseconds per call of `fn` over `batches` batches of `calls`.
double MedianNs(int calls, int batches, const std::function<void()>& fn) {
  std::vector<double> per_call;
  for (int b = 0; b < batches; ++b) {
    auto start = Clock::now();
    for (int i = 0; i < calls; ++i) fn();
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    per_call.push_back(ns / calls);
  }
  std::sort(per_call.begin(), per_call.end());
  return per_call[per_call.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int batches = argc > 2 ? std::atoi(argv[2]) : 51;
  if (sodium_init() < 0) return 1;
  SecretBox box(SecretKey::Generate());
  std::printf("%-8s %10s %10s %10s %10s %10s %9s %9s\n", "bytes", "open ns", "seal ns", "aead ns",
              "memcpy ns", "blake2b ns", "open/cpy", "open/b2b");
  unsigned char raw_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  crypto_aead_xchacha20poly1305_ietf_keygen(raw_key);
  for (std::size_t size : {32, 64, 164, 1024, 4096}) {
    std::string plain(size, 'k');
    randombytes_buf(plain.data(), plain.size());
    const std::string context = "llm_providers/openai/api_key";
    const std::string sealed = box.Seal(plain, context);
    double open_ns = MedianNs(calls, batches, [&] {
      auto opened = box.Open(sealed, context);
      g_sink = g_sink + opened->size();
    });
    double seal_ns =
        MedianNs(calls, batches, [&] { g_sink = g_sink + box.Seal(plain, context).size(); });
    // The AEAD alone on bytes already decoded: what the box adds around it
    // (base64url, the header, allocations) is open - aead.
    std::vector<unsigned char> nonce(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    randombytes_buf(nonce.data(), nonce.size());
    std::vector<unsigned char> box_bytes(size + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long box_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        box_bytes.data(), &box_len, reinterpret_cast<const unsigned char*>(plain.data()), size,
        reinterpret_cast<const unsigned char*>(context.data()), context.size(), nullptr,
        nonce.data(), raw_key);
    std::vector<unsigned char> out(size);
    double aead_ns = MedianNs(calls, batches, [&] {
      unsigned long long len = 0;
      int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.data(), &len, nullptr, box_bytes.data(), box_len,
          reinterpret_cast<const unsigned char*>(context.data()), context.size(), nonce.data(),
          raw_key);
      g_sink = g_sink + len + static_cast<std::size_t>(rc);
    });
    double copy_ns = MedianNs(calls, batches, [&] {
      std::unique_ptr<char[]> copy(new char[size]);
      std::memcpy(copy.get(), plain.data(), size);
      g_sink = g_sink + static_cast<unsigned char>(copy[size - 1]);
    });
    double hash_ns = MedianNs(calls, batches, [&] {
      unsigned char out[32];
      crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(plain.data()),
                         size, nullptr, 0);
      g_sink = g_sink + out[0];
    });
    std::printf("%-8zu %10.0f %10.0f %10.0f %10.1f %10.0f %9.0f %9.1f\n", size, open_ns, seal_ns,
                aead_ns, copy_ns, hash_ns, open_ns / copy_ns, open_ns / hash_ns);
  }
  std::printf("(%d calls per batch, median of %d batches)\n", calls, batches);
  return 0;
}
