// The LLM admin routes (PRODUCT §11, §13, §14): providers, their test call,
// the models each one offers, specialist profiles and the CLI model
// registry. Admins only. Thin facades over src/llm, which holds every rule
// the CLI's `provider` and `profile` commands apply too.
//
// Secrets: a POST or PATCH may carry api_key / proxy_api_key (how the
// dashboard sets them). They are accepted only from this host (a direct
// loopback client, or the TLS proxy on this host that says
// X-Forwarded-Proto: https), sealed at once, wiped from the parsed body
// and the request buffer, never echoed (answers show the masked hint),
// and never in the audit row, which names the fields that changed.
#include <sodium.h>

#include <set>

#include "api/routes.h"
#include "api/schemas.h"
#include "cli_bridge/model_registry.h"
#include "config/values.h"
#include "llm/gateway.h"
#include "llm/key_check.h"
#include "llm/provider_test.h"
#include "llm/providers.h"

namespace docrunch::api {
namespace {

using namespace schema;

const char* kSecretFields[] = {"api_key", "proxy_api_key"};

json ProviderItem() {
  return Object({{"name", Str()},
                 {"type", Str()},
                 {"base_url", Str()},
                 {"model", Str()},
                 {"cli_type", Nullable(Str())},
                 {"api_key", Nullable(Str("masked: sk-…abcd"))},
                 {"proxy_api_key", Nullable(Str("masked"))},
                 {"enabled", Bool()},
                 {"created_at", Str()},
                 {"updated_at", Str()}},
                {"name", "type", "base_url", "model", "cli_type", "api_key", "proxy_api_key",
                 "enabled", "created_at", "updated_at"});
}

json ProfileItem() {
  return Object({{"role", Str()},
                 {"provider", Str()},
                 {"model", Nullable(Str("null: the provider's model"))},
                 {"temperature", Nullable(Num())},
                 {"system_prompt", Str()},
                 {"max_tokens", Nullable(Int("", 1, 1000000))},
                 {"created_at", Str()},
                 {"updated_at", Str()}},
                {"role", "provider", "model", "temperature", "system_prompt", "max_tokens",
                 "created_at", "updated_at"});
}

// The provider fields of a POST (with name) or PATCH body.
json ProviderBody(bool adding) {
  json fields{
      {"type", Str("openai, openai-compatible, anthropic, google, xai, ollama, cli_bridge", 40)},
      {"base_url", Str("http(s) URL of the API (or of the CLI proxy)", 2048)},
      {"model", Str("model id", 200)},
      {"cli_type", Str("cli_bridge: gemini, claude or codex", 20)},
      {"enabled", Bool()},
      {"api_key", Nullable(Str("sealed at once, never returned; null clears it", 4096))},
      {"proxy_api_key", Nullable(Str("cli_bridge: the proxy's X-API-Key; null clears it", 4096))}};
  if (adding) {
    fields["name"] = Str("letters, digits, . _ -", 64);
    for (const char* secret : kSecretFields) fields[secret] = Str("sealed at once", 4096);
    return Object(std::move(fields), {"name", "type"});
  }
  return Object(std::move(fields));
}

// Whether a secret may travel in this request: it came from this host,
// either straight (a dashboard or script on the host; loopback traffic
// does not leave it) or through a TLS proxy on the host.
Result<void> SecretTransportAllowed(const Call& call, const std::string& field) {
  const http::Request& req = call.request;
  const std::string proto = req.Header("X-Forwarded-Proto");
  const bool forwarded = !req.Header("X-Forwarded-For").empty() || !proto.empty();
  if (config::IsLoopbackHost(call.peer) && (!forwarded || proto == "https")) return Ok();
  return MakeError(ErrorCode::kUsage,
                   field +
                       ": secrets are accepted only over HTTPS (a TLS proxy on this host "
                       "sending X-Forwarded-Proto: https) or from this host; nothing was stored");
}

// Takes the secret `field` out of the body into a Secret, wiping the text.
std::optional<llm::Secret> TakeSecret(json& body, const char* field) {
  if (!body.contains(field) || !body[field].is_string()) return std::nullopt;
  auto& text = body[field].get_ref<std::string&>();
  llm::Secret secret(text);
  llm::WipeString(text);
  return secret;
}

// The body's secrets are in the request's own buffer too: wiped once read.
void WipeRequestBody(const Call& call) {
  auto& raw = const_cast<std::string&>(call.request.body);
  if (!raw.empty()) sodium_memzero(raw.data(), raw.size());
}

Result<llm::ProviderChanges> ProviderChangesOf(Call& call) {
  json& b = call.body;
  for (const char* secret : kSecretFields) {
    if (b.contains(secret) && b[secret].is_string()) {
      DOCRUNCH_TRY(SecretTransportAllowed(call, secret));
    }
  }
  llm::ProviderChanges c;
  json fields = json::array();
  for (const char* f : {"type", "base_url", "model", "cli_type"}) {
    if (!b.contains(f)) continue;
    std::string value = b[f].get<std::string>();
    if (std::string_view(f) == "type") c.type = value;
    if (std::string_view(f) == "base_url") c.base_url = value;
    if (std::string_view(f) == "model") c.model = value;
    if (std::string_view(f) == "cli_type") c.cli_type = value;
    fields.push_back(f);
  }
  if (b.contains("enabled")) {
    c.enabled = b["enabled"].get<bool>();
    fields.push_back("enabled");
  }
  if (auto key = TakeSecret(b, "api_key")) c.api_key = std::move(*key);
  if (auto key = TakeSecret(b, "proxy_api_key")) c.proxy_api_key = std::move(*key);
  c.clear_api_key = b.contains("api_key") && b["api_key"].is_null();
  c.clear_proxy_api_key = b.contains("proxy_api_key") && b["proxy_api_key"].is_null();
  for (const char* secret : kSecretFields) {
    if (b.contains(secret)) fields.push_back(secret);
  }
  WipeRequestBody(call);
  call.audit_details["fields"] = std::move(fields);
  return c;
}

// The secret box when `changes` sets a secret: the KMS key, verified
// against the stored check value (KMS_KEY_INVALID otherwise).
Result<std::unique_ptr<llm::SecretBox>> BoxFor(const ApiServices& s, bool needed) {
  if (!needed) return std::unique_ptr<llm::SecretBox>();
  if (s.env == nullptr) {
    return MakeError(ErrorCode::kKmsKeyInvalid, "this server was started without a KMS key");
  }
  return llm::OpenSecretBox(*s.store, *s.env, s.kms_key_env);
}

void AddProviderRoutes(Routes& routes, ApiServices& s) {
  routes.push_back({"GET", "/llm/providers", Access::kAdmin, "llm",
                    "LLM providers (keys masked: sk-…abcd)", PageQuery(), nullptr,
                    Page(ProviderItem()), 200, [&s](Call& call) -> Result<json> {
                      auto page = ReadPage(call);
                      if (!page) return page.error();
                      auto providers = llm::ListProviders(*s.store);
                      if (!providers) return providers.error();
                      json items = json::array();
                      for (const auto& p : *providers) items.push_back(llm::ToJson(p));
                      return MakePage(std::move(items), *page);
                    }});
  routes.push_back(
      {"POST", "/llm/providers", Access::kAdmin, "llm",
       "Add a provider; api_key / proxy_api_key are sealed with the KMS key and never returned "
       "(accepted over HTTPS or from this host only)",
       json::object(), ProviderBody(true), ProviderItem(), 201, [&s](Call& call) -> Result<json> {
         const std::string name = call.body["name"].get<std::string>();
         auto changes = ProviderChangesOf(call);
         if (!changes) return changes.error();
         auto box = BoxFor(s, changes->api_key || changes->proxy_api_key);
         if (!box) return box.error();
         auto added =
             llm::AddProvider(*s.store, name, std::move(*changes), box->get(), s.kms_key_env);
         if (!added) return added.error();
         return llm::ToJson(*added);
       }});
  routes.push_back({"GET", "/llm/providers/{name}", Access::kAdmin, "llm",
                    "One provider (keys masked)", json::object(), nullptr, ProviderItem(), 200,
                    [&s](Call& call) -> Result<json> {
                      auto p = llm::GetProvider(*s.store, call.params.at("name"));
                      if (!p) return p.error();
                      return llm::ToJson(p->info);
                    }});
  routes.push_back(
      {"PATCH", "/llm/providers/{name}", Access::kAdmin, "llm",
       "Change a provider: fields given change, others keep; a secret set to null is forgotten",
       json::object(), ProviderBody(false), ProviderItem(), 200, [&s](Call& call) -> Result<json> {
         auto changes = ProviderChangesOf(call);
         if (!changes) return changes.error();
         if (changes->clear_api_key && changes->api_key) {
           return MakeError(ErrorCode::kUsage, "api_key: set and cleared at once");
         }
         auto box = BoxFor(s, changes->api_key || changes->proxy_api_key);
         if (!box) return box.error();
         auto updated = llm::UpdateProvider(*s.store, call.params.at("name"), std::move(*changes),
                                            box->get(), s.kms_key_env);
         if (!updated) return updated.error();
         return llm::ToJson(*updated);
       }});
  routes.push_back({"DELETE", "/llm/providers/{name}", Access::kAdmin, "llm",
                    "Remove a provider and its sealed keys (refused while a profile uses it)",
                    json::object(), nullptr, Object({{"removed", Str()}}, {"removed"}), 200,
                    [&s](Call& call) -> Result<json> {
                      const std::string& name = call.params.at("name");
                      DOCRUNCH_TRY(llm::RemoveProvider(*s.store, name));
                      return json{{"removed", name}};
                    }});
  routes.back().errors = {{409, "STORAGE_CONSTRAINT: a profile uses the provider"}};
  routes.push_back(
      {"POST", "/llm/providers/{name}/test", Access::kAdmin, "llm",
       "Make one real, minimal call: the model's answer and the latency, or the provider's error "
       "(LLM_PROVIDER_ERROR 502, LLM_TIMEOUT 504); recorded in the cost ledger",
       json::object(),
       Object({{"prompt", Str("default: Reply with the single word: pong", 4000)},
               {"timeout", Int("seconds to wait (default 60)", 1, 600)}}),
       Object({{"provider", Str()},
               {"model", Str()},
               {"latency_ms", Int("", 0, 1LL << 40)},
               {"answer", Str()},
               {"usage", Object({{"input_tokens", Int("", 0, 1LL << 40)},
                                 {"output_tokens", Int("", 0, 1LL << 40)}},
                                {"input_tokens", "output_tokens"})}},
              {"provider", "model", "latency_ms", "answer", "usage"}),
       200, [&s](Call& call) -> Result<json> {
         const std::string& name = call.params.at("name");
         auto provider = llm::GetProvider(*s.store, name);
         if (!provider) return provider.error();
         auto box = BoxFor(s, llm::NeedsSecrets(*provider));
         if (!box) return box.error();
         llm::Gateway gateway(*s.store, box->get(), s.llm_observer);
         llm::ProviderTestOptions options;
         if (call.body.contains("prompt")) options.prompt = call.body["prompt"].get<std::string>();
         if (call.body.contains("timeout")) {
           options.timeout = std::chrono::seconds(call.body["timeout"].get<int>());
         }
         auto answer = llm::TestProvider(gateway, name, options);
         if (!answer) return answer.error();
         return json{{"provider", name},
                     {"model", answer->model},
                     {"latency_ms", answer->latency.count()},
                     {"answer", answer->text},
                     {"usage",
                      {{"input_tokens", answer->usage.input_tokens},
                       {"output_tokens", answer->usage.output_tokens}}}};
       }});
  routes.back().errors = {
      {402, "LLM_BUDGET_EXCEEDED: a hard-stop budget refused the call before it was made"},
      {502,
       "LLM_PROVIDER_ERROR: the provider answered with an error (its message, any echoed key "
       "redacted), not in its format, or not at all"},
      {504, "LLM_TIMEOUT: the provider gave no complete answer in time"}};
}

json CliModelsJson(const cli_bridge::ModelRegistry& registry) {
  json clis = json::object();
  for (const auto& [cli, entry] : registry.all()) {
    json models = json::array();
    for (const auto& m : entry.models) {
      models.push_back({{"id", m.id}, {"name", m.name}, {"description", m.description}});
    }
    clis[cli] = {{"description", entry.description}, {"models", std::move(models)}};
  }
  return clis;
}

void AddModelRoutes(Routes& routes, ApiServices& s) {
  routes.push_back(
      {"GET", "/llm/cli-models", Access::kAdmin, "llm",
       "The CLI Bridge's model registry (cli_models.json), validated: its models per CLI, or "
       "every problem as file:line:column",
       json::object(), nullptr,
       Object({{"path", Str()},
               {"clis", Nullable(AnyObject("{cli_type: {description, models: [{id, name, "
                                           "description}]}}; null when the file is invalid"))},
               {"error",
                Nullable(Object({{"code", Str()}, {"message", Str()}}, {"code", "message"}))}},
              {"path", "clis", "error"}),
       200, [&s](Call&) -> Result<json> {
         auto registry = cli_bridge::LoadModelRegistry(s.cli_models_path);
         json out{{"path", s.cli_models_path.filename().string()},
                  {"clis", nullptr},
                  {"error", nullptr}};
         if (registry) {
           out["clis"] = CliModelsJson(*registry);
         } else {
           out["error"] = {{"code", ErrorCodeName(registry.error().code)},
                           {"message", registry.error().message}};
         }
         return out;
       }});
  routes.push_back(
      {"GET", "/llm/models", Access::kAdmin, "llm",
       "The models known per provider: its configured model, the models its profiles use, and "
       "for cli_bridge providers the registry's models of its CLI",
       json::object(), nullptr,
       Object({{"providers",
                Array(Object({{"provider", Str()},
                              {"type", Str()},
                              {"enabled", Bool()},
                              {"models", Array(Object({{"id", Str()},
                                                       {"name", Str()},
                                                       {"description", Str()},
                                                       {"source", Enum({"configured", "profile",
                                                                        "cli_models"})}},
                                                      {"id", "name", "description", "source"}))}},
                             {"provider", "type", "enabled", "models"}))},
               {"cli_models_error", Nullable(Str("why cli_models.json could not be read"))}},
              {"providers", "cli_models_error"}),
       200, [&s](Call&) -> Result<json> {
         auto providers = llm::ListProviders(*s.store);
         if (!providers) return providers.error();
         auto profiles = llm::ListProfiles(*s.store);
         if (!profiles) return profiles.error();
         auto registry = cli_bridge::LoadModelRegistry(s.cli_models_path);
         json out = json::array();
         for (const auto& p : *providers) {
           json models = json::array();
           std::set<std::string> seen;
           auto add = [&](const std::string& id, const std::string& name,
                          const std::string& description, const char* source) {
             if (id.empty() || !seen.insert(id).second) return;
             models.push_back(
                 {{"id", id}, {"name", name}, {"description", description}, {"source", source}});
           };
           add(p.model, p.model, "", "configured");
           for (const auto& profile : *profiles) {
             if (profile.provider == p.name) add(profile.model, profile.model, "", "profile");
           }
           if (p.type == llm::ProviderType::kCliBridge && registry) {
             if (const auto* entry = registry->Find(p.cli_type)) {
               for (const auto& m : entry->models) add(m.id, m.name, m.description, "cli_models");
             }
           }
           out.push_back({{"provider", p.name},
                          {"type", llm::ProviderTypeName(p.type)},
                          {"enabled", p.enabled},
                          {"models", std::move(models)}});
         }
         return json{{"providers", std::move(out)},
                     {"cli_models_error", registry ? json() : json(registry.error().message)}};
       }});
}

json ProfileBody() {
  return Object({{"provider", Str("the provider's name", 64)},
                 {"model", Nullable(Str("null or \"\": the provider's model", 200))},
                 {"temperature", Nullable(Num("0 to 2; null: the provider's default"))},
                 {"system_prompt", Str("", 64 * 1024)},
                 {"max_tokens", Nullable(Int("null: the default", 1, 1000000))}});
}

void AddProfileRoutes(Routes& routes, ApiServices& s) {
  routes.push_back({"GET", "/llm/profiles", Access::kAdmin, "llm",
                    "Specialist profiles: role -> provider, model, temperature, system prompt, "
                    "max tokens",
                    PageQuery(), nullptr, Page(ProfileItem()), 200,
                    [&s](Call& call) -> Result<json> {
                      auto page = ReadPage(call);
                      if (!page) return page.error();
                      auto profiles = llm::ListProfiles(*s.store);
                      if (!profiles) return profiles.error();
                      json items = json::array();
                      for (const auto& p : *profiles) items.push_back(llm::ToJson(p));
                      return MakePage(std::move(items), *page);
                    }});
  routes.push_back({"GET", "/llm/profiles/{role}", Access::kAdmin, "llm", "One role's profile",
                    json::object(), nullptr, ProfileItem(), 200, [&s](Call& call) -> Result<json> {
                      auto p = llm::GetProfile(*s.store, call.params.at("role"));
                      if (!p) return p.error();
                      return llm::ToJson(*p);
                    }});
  routes.push_back(
      {"PUT", "/llm/profiles/{role}", Access::kAdmin, "llm",
       "Create or change a role's profile (a new one needs a provider); null clears a field",
       json::object(), ProfileBody(), ProfileItem(), 200, [&s](Call& call) -> Result<json> {
         const json& b = call.body;
         llm::ProfileChanges c;
         json fields = json::array();
         for (const auto& [key, value] : b.items()) fields.push_back(key);
         if (b.contains("provider")) c.provider = b["provider"].get<std::string>();
         if (b.contains("model"))
           c.model = b["model"].is_null() ? "" : b["model"].get<std::string>();
         if (b.contains("temperature")) {
           if (b["temperature"].is_null()) {
             c.clear_temperature = true;
           } else {
             c.temperature = b["temperature"].get<double>();
           }
         }
         if (b.contains("system_prompt")) c.system_prompt = b["system_prompt"].get<std::string>();
         if (b.contains("max_tokens")) {
           if (b["max_tokens"].is_null()) {
             c.clear_max_tokens = true;
           } else {
             c.max_tokens = b["max_tokens"].get<int>();
           }
         }
         call.audit_details["fields"] = std::move(fields);
         auto written = llm::SetProfile(*s.store, call.params.at("role"), c);
         if (!written) return written.error();
         return llm::ToJson(*written);
       }});
  routes.push_back({"DELETE", "/llm/profiles/{role}", Access::kAdmin, "llm",
                    "Remove a role's profile", json::object(), nullptr,
                    Object({{"removed", Str()}}, {"removed"}), 200,
                    [&s](Call& call) -> Result<json> {
                      const std::string& role = call.params.at("role");
                      DOCRUNCH_TRY(llm::RemoveProfile(*s.store, role));
                      return json{{"removed", role}};
                    }});
}

}  // namespace

void AddLlmRoutes(Routes& routes, ApiServices& services) {
  AddProviderRoutes(routes, services);
  AddModelRoutes(routes, services);
  AddProfileRoutes(routes, services);
}

}  // namespace docrunch::api
