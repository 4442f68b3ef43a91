#include "app/llm_env.h"

#include "app/llm_commands.h"
#include "llm/key_check.h"
#include "llm/providers.h"

namespace docrunch::app {
namespace {

// Whether `role`'s profile names an enabled provider with sealed secrets.
Result<bool> RoleNeedsKey(store::Store& store, const std::string& role) {
  auto profile = llm::GetProfile(store, role);
  if (!profile) {
    if (profile.error().code == ErrorCode::kStorageNotFound) return false;
    return profile.error();
  }
  auto provider = llm::GetProvider(store, profile->provider);
  if (!provider) return provider.error();
  return provider->info.enabled &&
         (!provider->api_key_sealed.empty() || !provider->proxy_api_key_sealed.empty());
}

}  // namespace

Result<std::unique_ptr<LlmEnv>> OpenLlm(AppContext& ctx, store::Store& store,
                                        const std::string& strict_role) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  auto env = std::make_unique<LlmEnv>();
  auto stored = llm::SecretsStored(store);
  if (!stored) return stored.error();
  if (*stored) {
    bool strict = false;
    if (!strict_role.empty()) {
      auto needs = RoleNeedsKey(store, strict_role);
      if (!needs) return needs.error();
      strict = *needs;
    }
    auto box = OpenSecrets(ctx);
    if (box) {
      env->box = std::move(*box);
    } else if (strict) {
      return box.error();
    }
  }
  env->ledger = std::make_unique<cost::Ledger>(store, ctx.clock(),
                                               cost::LedgerOptionsFromConfig((*loaded)->config));
  env->costs = std::make_unique<llm::CostObserver>(*env->ledger);
  env->gateway = std::make_unique<llm::Gateway>(store, env->box.get(), env->costs.get());
  return env;
}

}  // namespace docrunch::app
