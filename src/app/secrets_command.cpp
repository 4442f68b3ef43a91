// docrunch secrets status [--json] | rotate --new-key-env VAR | generate
//
// Rotation re-seals every provider secret and the key check value in one
// transaction (llm/key_check.h). Two test seams, read from the environment
// of this command only: DOCRUNCH_TEST_ROTATE_FAIL_AFTER=N fails the
// rotation after N secrets were re-sealed; DOCRUNCH_TEST_ROTATE_PAUSE_AFTER=N
// prints "rotation paused" on stderr there and waits, so a test can kill
// the process in the middle of the transaction.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/llm_commands.h"
#include "llm/key_check.h"

namespace docrunch::app {
namespace {

using nlohmann::json;

int EnvInt(const config::Environment& env, const std::string& name) {
  auto it = env.find(name);
  if (it == env.end()) return -1;
  try {
    return std::stoi(it->second);
  } catch (const std::exception&) {
    return -1;
  }
}

Result<void> Rotate(AppContext& ctx, const std::string& new_variable) {
  auto store = ctx.Store();
  if (!store) return store.error();
  const std::string old_variable = KmsKeyVariable(ctx);
  if (new_variable == old_variable) {
    return MakeError(ErrorCode::kUsage, "--new-key-env: " + new_variable +
                                            " is security.kms_key_env itself; put the new key "
                                            "in another variable");
  }
  auto old_box = OpenSecrets(ctx);
  if (!old_box) return old_box.error();
  auto new_key = llm::LoadKey(ctx.env(), new_variable);
  if (!new_key) return new_key.error();
  llm::SecretBox new_box(std::move(*new_key));
  const int fail_after = EnvInt(ctx.env(), "DOCRUNCH_TEST_ROTATE_FAIL_AFTER");
  const int pause_after = EnvInt(ctx.env(), "DOCRUNCH_TEST_ROTATE_PAUSE_AFTER");
  auto after_each = [&](int n) -> Result<void> {
    if (n == pause_after) {
      std::cerr << "rotation paused after " << n << " secrets" << std::endl;
      std::this_thread::sleep_for(std::chrono::seconds(60));
    }
    if (n == fail_after) {
      return MakeError(ErrorCode::kInternal,
                       "injected failure after " + std::to_string(n) + " secrets");
    }
    return Ok();
  };
  auto rotated =
      llm::RotateSecrets(**store, **old_box, new_box, old_variable, new_variable, after_each);
  if (!rotated) return rotated.error();
  Print("re-sealed " + std::to_string(rotated->secrets) + " secrets: key id " +
        rotated->old_key_id + " -> " + rotated->new_key_id + "\nnow set " + old_variable +
        " to the value of " + new_variable + " wherever docrunch runs");
  return Ok();
}

Result<void> Status(AppContext& ctx, bool json_out) {
  auto store = ctx.Store();
  if (!store) return store.error();
  const std::string variable = KmsKeyVariable(ctx);
  auto check = llm::ReadKeyCheck(**store);
  if (!check) return check.error();
  auto count =
      (*store)->Query("SELECT count(api_key) + count(proxy_api_key) AS n FROM llm_providers");
  if (!count) return count.error();
  const std::int64_t secrets = count->Int(0, "n").value_or(0);
  std::string state = "ok", message, key_id;
  auto key = llm::LoadKey(ctx.env(), variable);
  if (!key) {
    state = ctx.env().count(variable) ? "malformed" : "missing";
    message = key.error().message;
  } else {
    key_id = key->id();
    llm::SecretBox box(std::move(*key));
    auto verified = llm::VerifyKeyCheck(**store, box, variable);
    if (!verified)
      state = "wrong", message = verified.error().message;
    else if (!check->present)
      state = "unused";
  }
  if (json_out) {
    Print(json{{"variable", variable},
               {"state", state},
               {"key_id", key_id.empty() ? json() : json(key_id)},
               {"stored_key_id", check->present ? json(check->key_id) : json()},
               {"rotated_at", check->rotated_at.empty() ? json() : json(check->rotated_at)},
               {"secrets", secrets},
               {"message", message.empty() ? json() : json(message)}}
              .dump(2));
  } else {
    Print(variable + ": " + state + (key_id.empty() ? "" : " (key id " + key_id + ")") +
          "\nstored secrets: " + std::to_string(secrets) +
          (check->present ? ", sealed with key id " + check->key_id : "") +
          (message.empty() ? "" : "\n" + message));
  }
  if (state == "missing" || state == "malformed" || state == "wrong") {
    return secrets > 0 || check->present ? MakeError(ErrorCode::kKmsKeyInvalid, message) : Ok();
  }
  return Ok();
}

}  // namespace

std::string KmsKeyVariable(AppContext& ctx) {
  auto loaded = ctx.Config();
  return loaded ? (*loaded)->config.security.kms_key_env : "";
}

Result<std::unique_ptr<llm::SecretBox>> OpenSecrets(AppContext& ctx) {
  auto store = ctx.Store();
  if (!store) return store.error();
  return llm::OpenSecretBox(**store, ctx.env(), KmsKeyVariable(ctx));
}

Result<void> CheckSecretsAtStart(AppContext& ctx) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  auto store = ctx.Store();
  if (!store) return store.error();
  auto stored = llm::SecretsStored(**store);
  if (!stored) return stored.error();
  if (!*stored) return Ok();
  auto box = OpenSecrets(ctx);
  if (box) return Ok();
  if ((*loaded)->config.security.mode == config::SecurityMode::kHosted) return box.error();
  std::cerr << "docrunch: warning: provider secrets cannot be opened: " << box.error().message
            << "\n";
  return Ok();
}

void RegisterSecrets(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* secrets = app.add_subcommand("secrets", "The KMS key that seals provider secrets");
  secrets->require_subcommand(1);

  auto json_out = std::make_shared<bool>(false);
  CLI::App* status = secrets->add_subcommand(
      "status", "Whether the key in security.kms_key_env opens the stored secrets");
  status->add_flag("--json", *json_out, "JSON output");
  status->callback([&ctx, &action, json_out] {
    action = [&ctx, json_out]() { return Status(ctx, *json_out); };
  });

  auto new_variable = std::make_shared<std::string>();
  CLI::App* rotate = secrets->add_subcommand(
      "rotate", "Re-seal every secret with the key in another variable, in one transaction");
  rotate->add_option("--new-key-env", *new_variable, "The variable holding the new key")
      ->required()
      ->type_name("VAR");
  rotate->callback([&ctx, &action, new_variable] {
    action = [&ctx, new_variable]() { return Rotate(ctx, *new_variable); };
  });

  CLI::App* generate = secrets->add_subcommand(
      "generate", "Print a new random key (64 hex digits) for security.kms_key_env");
  generate->callback([&action] {
    action = []() -> Result<void> {
      llm::SecretKey key = llm::SecretKey::Generate();
      std::string hex = key.ToHex();
      Print(hex);
      llm::WipeString(hex);
      return Ok();
    };
  });
}

}  // namespace docrunch::app
