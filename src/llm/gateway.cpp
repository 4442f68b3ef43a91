#include "llm/gateway.h"

#include "llm/key_check.h"
#include "llm/providers.h"

namespace docrunch::llm {

std::string Scrub(std::string message, std::string_view secret) {
  if (secret.size() < 4) return message;
  for (std::size_t at = message.find(secret); at != std::string::npos;
       at = message.find(secret, at)) {
    message.replace(at, secret.size(), "[redacted]");
  }
  return message;
}

Gateway::Gateway(store::Store& store, const SecretBox* box, CallObserver* observer)
    : store_(store), box_(box), observer_(observer) {}

template <class T, class Fn>
Result<T> Gateway::Call(CallInfo call, const std::string& model, Fn&& fn) {
  const std::string name = call.provider;
  auto provider = GetProvider(store_, name);
  if (!provider) return provider.error();
  const ProviderInfo& info = provider->info;
  if (!info.enabled) {
    return MakeError(ErrorCode::kInvalidParams, "provider: '" + name + "' is disabled");
  }
  call.type = info.type;
  call.model = model.empty() ? info.model : model;
  if (observer_ != nullptr) DOCRUNCH_TRY(observer_->BeforeCall(call));
  // The secrets are opened here and wiped when this function returns.
  Secret api_key, proxy_api_key;
  if (!provider->api_key_sealed.empty() || !provider->proxy_api_key_sealed.empty()) {
    if (box_ == nullptr) {
      return MakeError(ErrorCode::kKmsKeyInvalid,
                       "provider '" + name + "' has sealed secrets and no KMS key was given");
    }
  }
  if (!provider->api_key_sealed.empty()) {
    auto opened =
        box_->Open(provider->api_key_sealed, SealContext("llm_providers", name, "api_key"));
    if (!opened) return opened.error();
    api_key = std::move(*opened);
  }
  if (!provider->proxy_api_key_sealed.empty()) {
    auto opened = box_->Open(provider->proxy_api_key_sealed,
                             SealContext("llm_providers", name, "proxy_api_key"));
    if (!opened) return opened.error();
    proxy_api_key = std::move(*opened);
  }
  Endpoint endpoint{info.type,     info.base_url,  info.model,
                    info.cli_type, api_key.view(), proxy_api_key.view()};
  std::unique_ptr<WireClient> client = MakeWireClient(info.type);
  Result<T> result = fn(*client, endpoint);
  CallOutcome outcome;
  if (result) {
    outcome.ok = true;
    outcome.usage = result->usage;
    outcome.attempts = result->attempts;
    outcome.latency = result->latency;
    if (!result->model.empty()) call.model = result->model;
  } else {
    outcome.error = result.error().code;
  }
  if (observer_ != nullptr) observer_->AfterCall(call, outcome);
  if (!result) {
    Error e = result.error();
    e.message = Scrub(Scrub(std::move(e.message), api_key.view()), proxy_api_key.view());
    return e;
  }
  return result;
}

Result<GenerateResult> Gateway::Generate(const std::string& provider, GenerateRequest request,
                                         const CallOptions& options, const std::string& role) {
  if (request.messages.empty()) {
    return MakeError(ErrorCode::kInvalidParams, "messages: at least one is required");
  }
  for (const auto& m : request.messages) {
    if (m.role != "user" && m.role != "assistant") {
      return MakeError(ErrorCode::kInvalidParams,
                       "messages: role must be user or assistant, got '" + m.role + "'");
    }
  }
  CallInfo call{"generate", provider, ProviderType::kOpenAi, "", role, options.agent, options.task};
  std::size_t bytes = request.system.size();
  for (const auto& m : request.messages) bytes += m.content.size();
  call.estimate_input_tokens = static_cast<std::int64_t>(bytes / 4 + 1);
  call.estimate_output_tokens = request.max_tokens > 0 ? request.max_tokens : 1024;
  return Call<GenerateResult>(std::move(call), request.model,
                              [&](WireClient& client, const Endpoint& endpoint) {
                                return client.Generate(endpoint, request, options);
                              });
}

Result<GenerateResult> Gateway::GenerateForRole(const std::string& role, GenerateRequest request,
                                                const CallOptions& options) {
  auto profile = GetProfile(store_, role);
  if (!profile) return profile.error();
  if (request.model.empty()) request.model = profile->model;
  if (!request.temperature) request.temperature = profile->temperature;
  if (request.system.empty()) request.system = profile->system_prompt;
  if (request.max_tokens == 0 && profile->max_tokens) request.max_tokens = *profile->max_tokens;
  return Generate(profile->provider, std::move(request), options, role);
}

Result<EmbedResult> Gateway::Embed(const std::string& provider,
                                   const std::vector<std::string>& texts,
                                   const CallOptions& options, const std::string& model) {
  if (texts.empty()) return MakeError(ErrorCode::kInvalidParams, "input: at least one text");
  CallInfo call{"embed", provider, ProviderType::kOpenAi, "", "", options.agent, options.task};
  std::size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  call.estimate_input_tokens = static_cast<std::int64_t>(bytes / 4 + 1);
  return Call<EmbedResult>(std::move(call), model,
                           [&](WireClient& client, const Endpoint& endpoint) {
                             return client.Embed(endpoint, texts, model, options);
                           });
}

}  // namespace docrunch::llm
