#include "llm/secret_box.h"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

namespace docrunch::llm {
namespace {

constexpr std::string_view kPrefix = "drsb1.";
constexpr unsigned char kVersion = 1;
constexpr std::size_t kIdBytes = 8;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kHeaderBytes = 1 + kIdBytes + kNonceBytes;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
// The BLAKE2b key that makes key ids a hash of their own (not a plain hash
// of the key someone could find in another system's records).
constexpr std::string_view kIdHashKey = "docrunch-kms-key-id-v1";

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // no entropy source: nothing can be sealed
  });
}

std::string Hex(const unsigned char* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Decodes base64 without padding in `variant`; false unless exactly `want` bytes.
bool DecodeBase64(std::string_view text, int variant, unsigned char* out, std::size_t want) {
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out, want, text.data(), text.size(), nullptr, &len, &end, variant) != 0) {
    return false;
  }
  return len == want && end == text.data() + text.size();
}

Error KeyError(const std::string& variable, const std::string& what) {
  return MakeError(ErrorCode::kKmsKeyInvalid, "environment variable " + variable + " " + what);
}

}  // namespace

Secret::Secret(std::string_view bytes) : size_(bytes.size()) {
  if (size_ == 0) return;
  data_ = new unsigned char[size_];
  std::memcpy(data_, bytes.data(), size_);
}

Secret::Secret(std::size_t size) : size_(size) {
  if (size_ > 0) data_ = new unsigned char[size_]();
}

Secret::~Secret() {
  Wipe();
}

Secret::Secret(Secret&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void Secret::Wipe() {
  if (data_ != nullptr) {
    sodium_memzero(data_, size_);
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
}

void WipeString(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

SecretKey::SecretKey() = default;

SecretKey::~SecretKey() {
  sodium_memzero(bytes_.data(), bytes_.size());
}

SecretKey::SecretKey(SecretKey&& other) noexcept
    : bytes_(other.bytes_), raw_id_(other.raw_id_), id_(std::move(other.id_)) {
  sodium_memzero(other.bytes_.data(), other.bytes_.size());
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    raw_id_ = other.raw_id_;
    id_ = std::move(other.id_);
    sodium_memzero(other.bytes_.data(), other.bytes_.size());
  }
  return *this;
}

Result<SecretKey> SecretKey::Parse(std::string_view text, const std::string& variable) {
  InitSodium();
  text = Trim(text);
  if (text.empty()) return KeyError(variable, "is empty; it must hold a 32-byte key");
  SecretKey key;
  bool ok = false;
  if (text.size() == 64) {
    std::size_t len = 0;
    const char* end = nullptr;
    ok = sodium_hex2bin(key.bytes_.data(), kBytes, text.data(), text.size(), nullptr, &len, &end) ==
             0 &&
         len == kBytes && end == text.data() + text.size();
  }
  if (!ok) {
    std::string_view body = text;
    if (!body.empty() && body.back() == '=') body.remove_suffix(1);
    if (body.size() == 43) {
      ok = DecodeBase64(body, sodium_base64_VARIANT_ORIGINAL_NO_PADDING, key.bytes_.data(),
                        kBytes) ||
           DecodeBase64(body, sodium_base64_VARIANT_URLSAFE_NO_PADDING, key.bytes_.data(), kBytes);
    }
  }
  if (!ok) {
    return KeyError(variable,
                    "must hold a 32-byte key as 64 hex digits or base64 (43 digits and an "
                    "optional '='), e.g. the output of `openssl rand -hex 32`");
  }
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, key.bytes_.data(), kBytes,
                     reinterpret_cast<const unsigned char*>(kIdHashKey.data()), kIdHashKey.size());
  std::memcpy(key.raw_id_.data(), hash, kIdBytes);
  key.id_ = Hex(key.raw_id_.data(), kIdBytes);
  return key;
}

SecretKey SecretKey::Generate() {
  InitSodium();
  unsigned char raw[kBytes];
  randombytes_buf(raw, sizeof raw);
  std::string hex = Hex(raw, sizeof raw);
  sodium_memzero(raw, sizeof raw);
  auto key = Parse(hex, "generated");
  WipeString(hex);
  return std::move(*key);
}

std::string SecretKey::ToHex() const {
  return Hex(bytes_.data(), kBytes);
}

namespace {

// base64url without padding, by table. A sealed value is ciphertext, not a
// secret, so it needs no constant-time decoder (libsodium's is several
// times slower; see bench/secrets). Non-zero trailing bits are refused so
// each value has one spelling.
bool DecodeBase64Url(std::string_view in, std::vector<unsigned char>& out) {
  static const auto table = [] {
    std::array<signed char, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < 64; ++i)
      t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
    return t;
  }();
  if (in.size() % 4 == 1) return false;
  out.clear();
  out.reserve(in.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    const int v = table[static_cast<unsigned char>(c)];
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((buffer >> bits) & 0xFF));
    }
  }
  return (buffer & ((1u << bits) - 1)) == 0;
}

Result<std::vector<unsigned char>> DecodeSealed(std::string_view sealed) {
  InitSodium();
  auto corrupt = [](const std::string& why) {
    return MakeError(ErrorCode::kStorageCorrupt, "sealed secret is malformed: " + why);
  };
  if (sealed.substr(0, kPrefix.size()) != kPrefix) {
    return corrupt("it does not start with " + std::string(kPrefix));
  }
  std::vector<unsigned char> bin;
  if (!DecodeBase64Url(sealed.substr(kPrefix.size()), bin)) return corrupt("not base64url");
  if (bin.size() < kHeaderBytes + kTagBytes) return corrupt("too short");
  if (bin[0] != kVersion) {
    return corrupt("format version " + std::to_string(bin[0]) + " is not known to this build");
  }
  return bin;
}

}  // namespace

Result<SealedHeader> InspectSealed(std::string_view sealed) {
  auto bin = DecodeSealed(sealed);
  if (!bin) return bin.error();
  return SealedHeader{(*bin)[0], Hex(bin->data() + 1, kIdBytes)};
}

SecretBox::SecretBox(SecretKey key) : key_(std::move(key)) {
  InitSodium();
}

std::string SecretBox::Seal(std::string_view plaintext, std::string_view context) const {
  std::vector<unsigned char> bin(kHeaderBytes + plaintext.size() + kTagBytes);
  bin[0] = kVersion;
  std::memcpy(bin.data() + 1, key_.raw_id_.data(), kIdBytes);
  randombytes_buf(bin.data() + 1 + kIdBytes, kNonceBytes);
  std::vector<unsigned char> ad(bin.begin(), bin.begin() + 1 + kIdBytes);
  ad.insert(ad.end(), context.begin(), context.end());
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      bin.data() + kHeaderBytes, &written, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), ad.data(), ad.size(), nullptr, bin.data() + 1 + kIdBytes, key_.bytes());
  bin.resize(kHeaderBytes + written);
  std::string out(sodium_base64_ENCODED_LEN(bin.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), bin.data(), bin.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return std::string(kPrefix) + out;
}

Result<Secret> SecretBox::Open(std::string_view sealed, std::string_view context) const {
  auto decoded = DecodeSealed(sealed);
  if (!decoded) return decoded.error();
  const std::vector<unsigned char>& bin = *decoded;
  if (sodium_memcmp(bin.data() + 1, key_.raw_id_.data(), kIdBytes) != 0) {
    return MakeError(ErrorCode::kKmsKeyInvalid, "the secret was sealed with key id " +
                                                    Hex(bin.data() + 1, kIdBytes) +
                                                    ", the key given has key id " + key_.id());
  }
  std::vector<unsigned char> ad(bin.begin(), bin.begin() + 1 + kIdBytes);
  ad.insert(ad.end(), context.begin(), context.end());
  const std::size_t sealed_len = bin.size() - kHeaderBytes;
  Secret out(sealed_len - kTagBytes);  // the plaintext goes straight into its buffer
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.data_, &len, nullptr, bin.data() + kHeaderBytes, sealed_len, ad.data(), ad.size(),
          bin.data() + 1 + kIdBytes, key_.bytes()) != 0) {
    return MakeError(ErrorCode::kStorageCorrupt,
                     "sealed secret failed authentication (edited, or stored under another name)");
  }
  return out;
}

}  // namespace docrunch::llm
