// Provider secrets at rest (PRODUCT §13): authenticated encryption with the
// key of the environment variable `security.kms_key_env` names.
//
// The key is 32 bytes, written as 64 hex digits or as base64 (standard or
// URL-safe alphabet, 43 digits and an optional '='), e.g.
//   export DOCRUNCH_KMS_KEY=$(openssl rand -hex 32)
//
// A sealed value is text: "drsb1." + base64url (no padding) of
//   version (1 byte, 0x01) | key id (8 bytes) | nonce (24 bytes) | ciphertext + tag (16)
// sealed with XChaCha20-Poly1305 (libsodium's IETF construction). The key id
// is the first 8 bytes of a keyed BLAKE2b hash of the key (it identifies the
// key without revealing it). The version byte, the key id and a caller's
// context string (e.g. "llm_providers/openai/api_key") are the associated
// data: a sealed value copied into another row or field, or with its header
// edited, does not open.
//
// Plaintext lives only in a Secret, which zeroes its bytes when destroyed.
// Nothing here logs; errors name the variable and key ids, never a key or
// a plaintext. Thread-safety: SecretKey, SecretBox and Secret are immutable
// after construction and may be shared between threads.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace docrunch::llm {

// Plaintext secret bytes, zeroed (sodium_memzero) on destruction. Move-only.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string_view bytes);  // copies `bytes`
  ~Secret();
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  friend class SecretBox;  // decrypts straight into a Secret's own buffer
  explicit Secret(std::size_t size);
  void Wipe();
  unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

// Zeroes a std::string's bytes (for transient copies such as a header line).
void WipeString(std::string& s);

// The 32-byte key. Zeroed on destruction. Move-only.
class SecretKey {
 public:
  static constexpr std::size_t kBytes = 32;

  // Parses 64 hex digits or base64 of 32 bytes (surrounding whitespace is
  // ignored). KMS_KEY_INVALID naming `variable` (never the text) otherwise.
  static Result<SecretKey> Parse(std::string_view text, const std::string& variable);
  // A fresh random key, for tests and `docrunch secrets generate`.
  static SecretKey Generate();

  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();

  // 16 lower-case hex digits.
  const std::string& id() const { return id_; }
  const unsigned char* bytes() const { return bytes_.data(); }
  // The key as 64 hex digits (the form `secrets generate` prints).
  std::string ToHex() const;

 private:
  SecretKey();
  std::array<unsigned char, kBytes> bytes_{};
  std::array<unsigned char, 8> raw_id_{};
  std::string id_;
  friend class SecretBox;
};

// What a sealed value says about itself, without the key.
struct SealedHeader {
  int version = 0;
  std::string key_id;  // 16 hex digits
};

// Reads the header of a sealed value; STORAGE_CORRUPT when it is not one.
Result<SealedHeader> InspectSealed(std::string_view sealed);

class SecretBox {
 public:
  explicit SecretBox(SecretKey key);

  const std::string& key_id() const { return key_.id(); }

  // Seals `plaintext` bound to `context`. A fresh random nonce each call.
  std::string Seal(std::string_view plaintext, std::string_view context) const;

  // Opens a value sealed by a box with the same key and the same `context`.
  // KMS_KEY_INVALID when the value was sealed with another key (the message
  // names both key ids); STORAGE_CORRUPT when it is malformed or fails
  // authentication (edited, or sealed for another context).
  Result<Secret> Open(std::string_view sealed, std::string_view context) const;

 private:
  SecretKey key_;
};

}  // namespace docrunch::llm
