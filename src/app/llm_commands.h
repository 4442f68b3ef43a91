// The LLM command groups (provider_command.cpp, secrets_command.cpp) and
// what they share. Kept out of commands.h so adding them recompiled only
// these files.
#pragma once

#include <memory>
#include <string>

#include "app/commands.h"
#include "llm/secret_box.h"

namespace docrunch::app {

void RegisterProvider(CLI::App& app, AppContext& ctx, Action& action);  // provider, profile
void RegisterSecrets(CLI::App& app, AppContext& ctx, Action& action);   // secrets

// The variable security.kms_key_env names ("" when the config fails to load).
std::string KmsKeyVariable(AppContext& ctx);

// The secret box of that variable's key, checked against the database's key
// check value first: a command that seals or opens provider secrets gets a
// missing, malformed or wrong key here (CONFIG_INVALID naming the variable),
// before any provider call.
Result<std::unique_ptr<llm::SecretBox>> OpenSecrets(AppContext& ctx);

// For a long-running process (serve) at start-up: when provider secrets are
// stored, the key must open them. In hosted mode a missing, malformed or
// wrong key is an error (the process does not start); in local mode it is a
// warning on stderr, as nothing that process does yet calls a provider.
Result<void> CheckSecretsAtStart(AppContext& ctx);

}  // namespace docrunch::app
