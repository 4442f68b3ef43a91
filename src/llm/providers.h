// LLM providers and specialist profiles (PRODUCT §14), as rows of
// llm_providers and llm_profiles (migration 14). The CLI (and later REST)
// are thin facades over these functions; every rule lives here.
//
// Secrets (api_key, proxy_api_key) arrive as Secret values and are stored
// only sealed by a SecretBox (llm/secret_box.h) bound to
// "llm_providers/<name>/<column>"; reads return a masked hint ("sk-…abcd")
// and never the sealed text. Errors name the field (`name:`, `type:`,
// `base_url:`, ...), never a secret's value.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "llm/secret_box.h"
#include "store/store.h"

namespace docrunch::llm {

enum class ProviderType {
  kOpenAi,
  kOpenAiCompatible,
  kAnthropic,
  kGoogle,
  kXai,
  kOllama,
  kCliBridge
};

std::string_view ProviderTypeName(ProviderType type);
std::optional<ProviderType> ParseProviderType(std::string_view name);
// "openai, openai-compatible, anthropic, google, xai, ollama, cli_bridge"
std::string ProviderTypeList();
// The base URL used when none is given; "" for types that need one.
std::string DefaultBaseUrl(ProviderType type);

// The CLI Bridge's CLIs (PRODUCT §14).
constexpr const char* kCliTypes[] = {"gemini", "claude", "codex"};

// "sk-…abcd": enough to tell keys apart, never enough to use one.
std::string MaskSecret(std::string_view secret);

struct ProviderInfo {
  std::int64_t id = 0;
  std::string name;
  ProviderType type = ProviderType::kOpenAi;
  std::string base_url;
  std::string model;
  std::string cli_type;            // cli_bridge only
  std::string api_key_hint;        // "" when no key is stored
  std::string proxy_api_key_hint;  // "" when none
  bool enabled = true;
  std::string created_at, updated_at;
};

// A provider as the gateway needs it: its sealed secrets ("" when none).
struct SealedProvider {
  ProviderInfo info;
  std::string api_key_sealed;
  std::string proxy_api_key_sealed;
};

// What `provider add` / `provider update` set; an unset field keeps its
// value on update (or takes its default on add).
struct ProviderChanges {
  std::optional<std::string> type;
  std::optional<std::string> base_url;
  std::optional<std::string> model;
  std::optional<std::string> cli_type;
  std::optional<bool> enabled;
  std::optional<Secret> api_key;        // set (non-empty) a new key
  std::optional<Secret> proxy_api_key;  // cli_bridge: the proxy's X-API-Key
  bool clear_api_key = false;
  bool clear_proxy_api_key = false;
};

// "name: ..." when `name` is not 1-64 of [A-Za-z0-9._-] starting with a
// letter or digit; "" when fine.
std::string CheckProviderName(std::string_view name);
// "base_url: ..." unless http(s)://host[:port][/path] without user,
// password, query or fragment; "" when fine.
std::string CheckBaseUrl(std::string_view url);

// Adds a provider. `box` seals its secrets (required when one is given;
// the key check value is verified or written in the same transaction, with
// `key_variable` named in errors). ALREADY_EXISTS for a taken name.
Result<ProviderInfo> AddProvider(store::Store& store, const std::string& name,
                                 ProviderChanges changes, const SecretBox* box,
                                 const std::string& key_variable);
// Changes a provider (STORAGE_NOT_FOUND when there is none).
Result<ProviderInfo> UpdateProvider(store::Store& store, const std::string& name,
                                    ProviderChanges changes, const SecretBox* box,
                                    const std::string& key_variable);
// Removes a provider; refused (STORAGE_CONSTRAINT naming the roles) while
// a profile uses it.
Result<void> RemoveProvider(store::Store& store, const std::string& name);
Result<std::vector<ProviderInfo>> ListProviders(store::Reader& db);
Result<SealedProvider> GetProvider(store::Reader& db, const std::string& name);

// A provider as `provider list --json` and REST show it: name, type,
// base_url, model, cli_type, api_key and proxy_api_key (masked hints, or
// null), enabled, created_at, updated_at.
nlohmann::json ToJson(const ProviderInfo& provider);

// Specialist roles (PRODUCT §5).
constexpr const char* kProfileRoles[] = {"manager", "librarian", "qa",      "security",
                                         "ui_ux",   "chat",      "analyzer"};

struct ProfileInfo {
  std::string role;
  std::string provider;  // provider name
  std::string model;     // "" = the provider's model
  std::optional<double> temperature;
  std::string system_prompt;
  std::optional<int> max_tokens;
  std::string created_at, updated_at;
};

struct ProfileChanges {
  std::optional<std::string> provider;
  std::optional<std::string> model;  // "" clears back to the provider's
  std::optional<double> temperature;
  std::optional<std::string> system_prompt;
  std::optional<int> max_tokens;
  bool clear_temperature = false;
  bool clear_max_tokens = false;
};

// Creates or changes the profile of `role`; a new profile needs a provider.
Result<ProfileInfo> SetProfile(store::Store& store, const std::string& role,
                               const ProfileChanges& changes);
Result<void> RemoveProfile(store::Store& store, const std::string& role);
Result<std::vector<ProfileInfo>> ListProfiles(store::Reader& db);
Result<ProfileInfo> GetProfile(store::Reader& db, const std::string& role);

// A profile as `profile list --json` and REST show it: role, provider,
// model (null: the provider's), temperature, system_prompt, max_tokens,
// created_at, updated_at.
nlohmann::json ToJson(const ProfileInfo& profile);

}  // namespace docrunch::llm
