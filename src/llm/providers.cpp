#include "llm/providers.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "config/values.h"
#include "core/text.h"
#include "llm/key_check.h"

namespace docrunch::llm {
namespace {

using nlohmann::json;

struct TypeEntry {
  ProviderType type;
  const char* name;
  const char* default_url;
  bool needs_key;
};
constexpr TypeEntry kTypes[] = {
    {ProviderType::kOpenAi, "openai", "https://api.openai.com/v1", true},
    {ProviderType::kOpenAiCompatible, "openai-compatible", "", false},
    {ProviderType::kAnthropic, "anthropic", "https://api.anthropic.com", true},
    {ProviderType::kGoogle, "google", "https://generativelanguage.googleapis.com", true},
    {ProviderType::kXai, "xai", "https://api.x.ai/v1", true},
    {ProviderType::kOllama, "ollama", "http://127.0.0.1:11434", false},
    {ProviderType::kCliBridge, "cli_bridge", "", false},
};

const TypeEntry& Entry(ProviderType type) {
  for (const auto& e : kTypes) {
    if (e.type == type) return e;
  }
  return kTypes[0];
}

Error Invalid(const std::string& message) {
  return MakeError(ErrorCode::kInvalidParams, message);
}

std::string CheckModel(std::string_view model) {
  if (model.empty()) return "model: is required (e.g. gpt-4o-mini, claude-sonnet-4-5, llama3.2)";
  if (model.size() > 200) return "model: longer than 200 characters";
  for (char c : model) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
          c == ':' || c == '/' || c == '@')) {
      return "model: only letters, digits and . _ - : / @ are allowed";
    }
  }
  if (model.find("..") != std::string_view::npos) return "model: must not contain '..'";
  return "";
}

std::string CheckSecretValue(const char* field, const Secret& s) {
  if (s.empty()) return std::string(field) + ": is empty";
  if (s.size() > 4096) return std::string(field) + ": longer than 4096 bytes";
  for (char c : s.view()) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return std::string(field) + ": contains a control character (a line break in the input?)";
    }
  }
  return "";
}

const char* kColumns =
    "id, name, type, base_url, model, options, api_key, api_key_hint, proxy_api_key, "
    "proxy_api_key_hint, enabled, created_at, updated_at";

SealedProvider RowToProvider(const store::Rows& rows, std::size_t i) {
  SealedProvider p;
  ProviderInfo& info = p.info;
  info.id = rows.Int(i, "id").value_or(0);
  info.name = rows.Text(i, "name").value_or("");
  info.type = ParseProviderType(rows.Text(i, "type").value_or("")).value_or(ProviderType::kOpenAi);
  info.base_url = rows.Text(i, "base_url").value_or("");
  info.model = rows.Text(i, "model").value_or("");
  json options = json::parse(rows.Text(i, "options").value_or("{}"), nullptr, false);
  if (options.is_object()) info.cli_type = options.value("cli_type", "");
  info.api_key_hint = rows.Text(i, "api_key_hint").value_or("");
  info.proxy_api_key_hint = rows.Text(i, "proxy_api_key_hint").value_or("");
  info.enabled = rows.Int(i, "enabled").value_or(1) != 0;
  info.created_at = rows.Text(i, "created_at").value_or("");
  info.updated_at = rows.Text(i, "updated_at").value_or("");
  p.api_key_sealed = rows.Text(i, "api_key").value_or("");
  p.proxy_api_key_sealed = rows.Text(i, "proxy_api_key").value_or("");
  return p;
}

// Applies `changes` to `p` (the current row, or defaults for a new one) and
// checks the whole result. Secrets are sealed into `p` when `box` is given.
Result<void> Apply(SealedProvider& p, ProviderChanges& changes, bool adding, const SecretBox* box,
                   const std::string& key_variable) {
  ProviderInfo& info = p.info;
  if (changes.type) {
    auto type = ParseProviderType(*changes.type);
    if (!type) {
      std::vector<std::string> names;
      for (const auto& e : kTypes) names.emplace_back(e.name);
      std::string best = ClosestMatch(*changes.type, names);
      return Invalid("type: unknown provider type '" + *changes.type + "'" +
                     (best.empty() ? "" : "; did you mean '" + best + "'?") + " (one of " +
                     ProviderTypeList() + ")");
    }
    info.type = *type;
  } else if (adding) {
    return Invalid("type: is required (one of " + ProviderTypeList() + ")");
  }
  const TypeEntry& entry = Entry(info.type);
  const bool bridge = info.type == ProviderType::kCliBridge;
  if (changes.base_url) {
    info.base_url = *changes.base_url;
    while (info.base_url.size() > 1 && info.base_url.back() == '/') info.base_url.pop_back();
  } else if (adding || (changes.type && info.base_url.empty())) {
    info.base_url = entry.default_url;
  }
  if (info.base_url.empty()) {
    return Invalid(std::string("base_url: is required for type ") + entry.name +
                   (bridge ? " (the CLI proxy's URL, e.g. http://127.0.0.1:9999)" : ""));
  }
  if (std::string problem = CheckBaseUrl(info.base_url); !problem.empty()) return Invalid(problem);
  if (changes.model) info.model = *changes.model;
  if (std::string problem = CheckModel(info.model); !problem.empty()) return Invalid(problem);
  if (changes.cli_type) info.cli_type = *changes.cli_type;
  if (bridge) {
    bool known = std::any_of(std::begin(kCliTypes), std::end(kCliTypes),
                             [&](const char* t) { return info.cli_type == t; });
    if (!known) {
      return Invalid("cli_type: " +
                     (info.cli_type.empty() ? std::string("is required")
                                            : "unknown CLI '" + info.cli_type + "'") +
                     " for type cli_bridge (one of gemini, claude, codex)");
    }
  } else if (changes.cli_type) {
    return Invalid("cli_type: only cli_bridge providers take one");
  } else {
    info.cli_type.clear();
  }
  if (changes.enabled) info.enabled = *changes.enabled;

  if (changes.api_key) {
    if (bridge) {
      return Invalid(
          "api_key: cli_bridge providers take the proxy's key (--proxy-api-key-env or "
          "--proxy-api-key-stdin), not an API key");
    }
    if (std::string problem = CheckSecretValue("api_key", *changes.api_key); !problem.empty()) {
      return Invalid(problem);
    }
  }
  if (changes.proxy_api_key) {
    if (!bridge) return Invalid("proxy_api_key: only cli_bridge providers take one");
    if (std::string problem = CheckSecretValue("proxy_api_key", *changes.proxy_api_key);
        !problem.empty()) {
      return Invalid(problem);
    }
  }
  if ((changes.api_key || changes.proxy_api_key) && box == nullptr) {
    return MakeError(ErrorCode::kKmsKeyInvalid, "a secret needs the key of " + key_variable);
  }
  if (changes.clear_api_key) p.api_key_sealed.clear(), info.api_key_hint.clear();
  if (changes.clear_proxy_api_key) p.proxy_api_key_sealed.clear(), info.proxy_api_key_hint.clear();
  if (changes.api_key) {
    p.api_key_sealed =
        box->Seal(changes.api_key->view(), SealContext("llm_providers", info.name, "api_key"));
    info.api_key_hint = MaskSecret(changes.api_key->view());
  }
  if (changes.proxy_api_key) {
    p.proxy_api_key_sealed = box->Seal(changes.proxy_api_key->view(),
                                       SealContext("llm_providers", info.name, "proxy_api_key"));
    info.proxy_api_key_hint = MaskSecret(changes.proxy_api_key->view());
  }
  if (bridge && !p.api_key_sealed.empty()) {
    p.api_key_sealed.clear();  // a type change to cli_bridge drops the API key
    info.api_key_hint.clear();
  }
  if (!bridge && !p.proxy_api_key_sealed.empty()) {
    p.proxy_api_key_sealed.clear();
    info.proxy_api_key_hint.clear();
  }
  if (entry.needs_key && p.api_key_sealed.empty()) {
    return Invalid(std::string("api_key: is required for type ") + entry.name +
                   " (REST: the api_key field; CLI: --api-key-env VAR or --api-key-stdin)");
  }
  return Ok();
}

store::Value Nullable(const std::string& s) {
  return s.empty() ? store::Value{} : store::Value{s};
}

std::string OptionsJson(const ProviderInfo& info) {
  json options = json::object();
  if (!info.cli_type.empty()) options["cli_type"] = info.cli_type;
  return options.dump();
}

}  // namespace

std::string_view ProviderTypeName(ProviderType type) {
  return Entry(type).name;
}

std::optional<ProviderType> ParseProviderType(std::string_view name) {
  for (const auto& e : kTypes) {
    if (name == e.name) return e.type;
  }
  return std::nullopt;
}

std::string ProviderTypeList() {
  std::vector<std::string> names;
  for (const auto& e : kTypes) names.emplace_back(e.name);
  return Join(names, ", ");
}

std::string DefaultBaseUrl(ProviderType type) {
  return Entry(type).default_url;
}

std::string MaskSecret(std::string_view secret) {
  if (secret.size() < 12) return "…";  // too short to show any of it
  std::string prefix;
  auto dash = secret.find('-');
  if (dash != std::string_view::npos && dash <= 3) prefix = std::string(secret.substr(0, dash + 1));
  return prefix + "…" + std::string(secret.substr(secret.size() - 4));
}

std::string CheckProviderName(std::string_view name) {
  if (name.empty()) return "name: is required";
  if (name.size() > 64) return "name: longer than 64 characters";
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) {
    return "name: must start with a letter or digit";
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return "name: only letters, digits and . _ - are allowed";
    }
  }
  return "";
}

std::string CheckBaseUrl(std::string_view url) {
  if (url.size() > 2048) return "base_url: longer than 2048 characters";
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "base_url: contains a space or control character";
    }
  }
  std::string problem = config::CheckUrl(url, {"https", "http"});
  if (!problem.empty()) return "base_url: " + problem;
  auto parsed = config::ParseUrl(url);
  if (!parsed || parsed->host.empty()) return "base_url: a host is required";
  if (!parsed->user.empty() || parsed->has_password) {
    return "base_url: must not hold a user or password (it would be stored in plain text; give "
           "the key as api_key, or with --api-key-env on the CLI)";
  }
  if (url.find('?') != std::string_view::npos || url.find('#') != std::string_view::npos) {
    return "base_url: must not hold a query or fragment";
  }
  return "";
}

Result<ProviderInfo> AddProvider(store::Store& store, const std::string& name,
                                 ProviderChanges changes, const SecretBox* box,
                                 const std::string& key_variable) {
  if (std::string problem = CheckProviderName(name); !problem.empty()) return Invalid(problem);
  SealedProvider p;
  p.info.name = name;
  DOCRUNCH_TRY(Apply(p, changes, true, box, key_variable));
  auto done = store.Transact([&](store::Tx& tx) -> Result<void> {
    auto taken = tx.Query("SELECT 1 FROM llm_providers WHERE name = $1", {name});
    if (!taken) return taken.error();
    if (!taken->empty()) {
      return MakeError(ErrorCode::kAlreadyExists,
                       "name: a provider named '" + name + "' exists; use `provider update`");
    }
    if (!p.api_key_sealed.empty() || !p.proxy_api_key_sealed.empty()) {
      DOCRUNCH_TRY(EnsureKeyCheck(tx, *box, key_variable));
    }
    const std::string now = FormatIso8601(tx.clock().Now());
    auto id = tx.Query(
        "INSERT INTO llm_providers (name, type, base_url, model, options, api_key, api_key_hint, "
        "proxy_api_key, proxy_api_key_hint, enabled, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
        {name, std::string(ProviderTypeName(p.info.type)), p.info.base_url, p.info.model,
         OptionsJson(p.info), Nullable(p.api_key_sealed), Nullable(p.info.api_key_hint),
         Nullable(p.proxy_api_key_sealed), Nullable(p.info.proxy_api_key_hint),
         std::int64_t{p.info.enabled ? 1 : 0}, now});
    if (!id) return id.error();
    p.info.id = id->Int(0, "id").value_or(0);
    p.info.created_at = p.info.updated_at = now;
    return Ok();
  });
  if (!done) return done.error();
  return p.info;
}

Result<ProviderInfo> UpdateProvider(store::Store& store, const std::string& name,
                                    ProviderChanges changes, const SecretBox* box,
                                    const std::string& key_variable) {
  ProviderInfo out;
  auto done = store.Transact([&](store::Tx& tx) -> Result<void> {
    auto current = GetProvider(tx, name);
    if (!current) return current.error();
    SealedProvider p = std::move(*current);
    DOCRUNCH_TRY(Apply(p, changes, false, box, key_variable));
    if (changes.api_key || changes.proxy_api_key) {
      DOCRUNCH_TRY(EnsureKeyCheck(tx, *box, key_variable));
    }
    const std::string now = FormatIso8601(tx.clock().Now());
    auto updated = tx.Exec(
        "UPDATE llm_providers SET type = $2, base_url = $3, model = $4, options = $5, "
        "api_key = $6, api_key_hint = $7, proxy_api_key = $8, proxy_api_key_hint = $9, "
        "enabled = $10, updated_at = $11 WHERE id = $1",
        {p.info.id, std::string(ProviderTypeName(p.info.type)), p.info.base_url, p.info.model,
         OptionsJson(p.info), Nullable(p.api_key_sealed), Nullable(p.info.api_key_hint),
         Nullable(p.proxy_api_key_sealed), Nullable(p.info.proxy_api_key_hint),
         std::int64_t{p.info.enabled ? 1 : 0}, now});
    if (!updated) return updated.error();
    p.info.updated_at = now;
    out = p.info;
    return Ok();
  });
  if (!done) return done.error();
  return out;
}

Result<void> RemoveProvider(store::Store& store, const std::string& name) {
  return store.Transact([&](store::Tx& tx) -> Result<void> {
    auto current = GetProvider(tx, name);
    if (!current) return current.error();
    auto roles = tx.Query("SELECT role FROM llm_profiles WHERE provider_id = $1 ORDER BY role",
                          {current->info.id});
    if (!roles) return roles.error();
    if (!roles->empty()) {
      std::vector<std::string> names;
      for (std::size_t i = 0; i < roles->size(); ++i) names.push_back(*roles->Text(i, "role"));
      return MakeError(ErrorCode::kStorageConstraint,
                       "name: provider '" + name + "' is used by the profile(s) " +
                           Join(names, ", ") + "; change or remove them first");
    }
    auto removed = tx.Exec("DELETE FROM llm_providers WHERE id = $1", {current->info.id});
    if (!removed) return removed.error();
    return Ok();
  });
}

Result<std::vector<ProviderInfo>> ListProviders(store::Reader& db) {
  auto rows = db.Query(std::string("SELECT ") + kColumns + " FROM llm_providers ORDER BY name");
  if (!rows) return rows.error();
  std::vector<ProviderInfo> out;
  for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(RowToProvider(*rows, i).info);
  return out;
}

json ToJson(const ProviderInfo& p) {
  auto null_if_empty = [](const std::string& text) { return text.empty() ? json() : json(text); };
  return {{"name", p.name},
          {"type", ProviderTypeName(p.type)},
          {"base_url", p.base_url},
          {"model", p.model},
          {"cli_type", null_if_empty(p.cli_type)},
          {"api_key", null_if_empty(p.api_key_hint)},
          {"proxy_api_key", null_if_empty(p.proxy_api_key_hint)},
          {"enabled", p.enabled},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at}};
}

Result<SealedProvider> GetProvider(store::Reader& db, const std::string& name) {
  auto rows =
      db.Query(std::string("SELECT ") + kColumns + " FROM llm_providers WHERE name = $1", {name});
  if (!rows) return rows.error();
  if (rows->empty()) {
    return MakeError(ErrorCode::kStorageNotFound, "name: no provider named '" + name + "'");
  }
  return RowToProvider(*rows, 0);
}

// ---- profiles ----

namespace {

std::string CheckRole(const std::string& role) {
  for (const char* r : kProfileRoles) {
    if (role == r) return "";
  }
  std::vector<std::string> roles(std::begin(kProfileRoles), std::end(kProfileRoles));
  std::string best = ClosestMatch(role, roles);
  return "role: unknown role '" + role + "'" +
         (best.empty() ? "" : "; did you mean '" + best + "'?") + " (one of " + Join(roles, ", ") +
         ")";
}

const char* kProfileSelect =
    "SELECT p.role, v.name AS provider, p.model, p.temperature, p.system_prompt, p.max_tokens, "
    "p.created_at, p.updated_at FROM llm_profiles p JOIN llm_providers v ON v.id = p.provider_id";

ProfileInfo RowToProfile(const store::Rows& rows, std::size_t i) {
  ProfileInfo p;
  p.role = rows.Text(i, "role").value_or("");
  p.provider = rows.Text(i, "provider").value_or("");
  p.model = rows.Text(i, "model").value_or("");
  p.temperature = rows.Real(i, "temperature");
  p.system_prompt = rows.Text(i, "system_prompt").value_or("");
  if (auto m = rows.Int(i, "max_tokens")) p.max_tokens = static_cast<int>(*m);
  p.created_at = rows.Text(i, "created_at").value_or("");
  p.updated_at = rows.Text(i, "updated_at").value_or("");
  return p;
}

}  // namespace

Result<ProfileInfo> SetProfile(store::Store& store, const std::string& role,
                               const ProfileChanges& changes) {
  if (std::string problem = CheckRole(role); !problem.empty()) return Invalid(problem);
  if (changes.model && !changes.model->empty()) {
    if (std::string problem = CheckModel(*changes.model); !problem.empty()) return Invalid(problem);
  }
  if (changes.temperature && (!std::isfinite(*changes.temperature) || *changes.temperature < 0 ||
                              *changes.temperature > 2)) {
    return Invalid("temperature: must be between 0 and 2");
  }
  if (changes.max_tokens && (*changes.max_tokens < 1 || *changes.max_tokens > 1000000)) {
    return Invalid("max_tokens: must be between 1 and 1000000");
  }
  if (changes.system_prompt && changes.system_prompt->size() > 64 * 1024) {
    return Invalid("system_prompt: longer than 64 KiB");
  }
  ProfileInfo out;
  auto done = store.Transact([&](store::Tx& tx) -> Result<void> {
    auto current = tx.Query(std::string(kProfileSelect) + " WHERE p.role = $1", {role});
    if (!current) return current.error();
    ProfileInfo p;
    p.role = role;
    if (!current->empty()) p = RowToProfile(*current, 0);
    if (changes.provider) p.provider = *changes.provider;
    if (p.provider.empty()) {
      return Invalid("provider: is required for a new profile (--provider NAME)");
    }
    auto provider = tx.Query("SELECT id FROM llm_providers WHERE name = $1", {p.provider});
    if (!provider) return provider.error();
    if (provider->empty()) {
      return MakeError(ErrorCode::kStorageNotFound,
                       "provider: no provider named '" + p.provider + "'");
    }
    if (changes.model) p.model = *changes.model;
    if (changes.temperature) p.temperature = *changes.temperature;
    if (changes.clear_temperature) p.temperature.reset();
    if (changes.system_prompt) p.system_prompt = *changes.system_prompt;
    if (changes.max_tokens) p.max_tokens = *changes.max_tokens;
    if (changes.clear_max_tokens) p.max_tokens.reset();
    const std::string now = FormatIso8601(tx.clock().Now());
    if (p.created_at.empty()) p.created_at = now;
    p.updated_at = now;
    auto written = tx.Exec(
        "INSERT INTO llm_profiles (role, provider_id, model, temperature, system_prompt, "
        "max_tokens, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (role) DO UPDATE SET provider_id = excluded.provider_id, model = "
        "excluded.model, temperature = excluded.temperature, system_prompt = "
        "excluded.system_prompt, max_tokens = excluded.max_tokens, updated_at = "
        "excluded.updated_at",
        {role, *provider->Int(0, "id"), Nullable(p.model),
         p.temperature ? store::Value{*p.temperature} : store::Value{}, p.system_prompt,
         p.max_tokens ? store::Value{std::int64_t{*p.max_tokens}} : store::Value{}, p.created_at,
         now});
    if (!written) return written.error();
    out = p;
    return Ok();
  });
  if (!done) return done.error();
  return out;
}

Result<void> RemoveProfile(store::Store& store, const std::string& role) {
  if (std::string problem = CheckRole(role); !problem.empty()) return Invalid(problem);
  return store.Transact([&](store::Tx& tx) -> Result<void> {
    auto removed = tx.Exec("DELETE FROM llm_profiles WHERE role = $1", {role});
    if (!removed) return removed.error();
    if (*removed == 0) {
      return MakeError(ErrorCode::kStorageNotFound, "role: no profile for role '" + role + "'");
    }
    return Ok();
  });
}

Result<std::vector<ProfileInfo>> ListProfiles(store::Reader& db) {
  auto rows = db.Query(std::string(kProfileSelect) + " ORDER BY p.role");
  if (!rows) return rows.error();
  std::vector<ProfileInfo> out;
  for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(RowToProfile(*rows, i));
  return out;
}

json ToJson(const ProfileInfo& p) {
  return {{"role", p.role},
          {"provider", p.provider},
          {"model", p.model.empty() ? json() : json(p.model)},
          {"temperature", p.temperature ? json(*p.temperature) : json()},
          {"system_prompt", p.system_prompt},
          {"max_tokens", p.max_tokens ? json(*p.max_tokens) : json()},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at}};
}

Result<ProfileInfo> GetProfile(store::Reader& db, const std::string& role) {
  if (std::string problem = CheckRole(role); !problem.empty()) return Invalid(problem);
  auto rows = db.Query(std::string(kProfileSelect) + " WHERE p.role = $1", {role});
  if (!rows) return rows.error();
  if (rows->empty()) {
    return MakeError(ErrorCode::kStorageNotFound, "role: no profile for role '" + role + "'");
  }
  return RowToProfile(*rows, 0);
}

}  // namespace docrunch::llm
