#include "llm/key_check.h"

#include <array>

namespace docrunch::llm {
namespace {

constexpr std::string_view kCheckPlaintext = "docrunch-kms-check-v1";
constexpr std::string_view kCheckContext = "kms_key_check";

// Every column that holds a sealed secret, by table (rows named by `name`).
struct SealedColumn {
  const char* table;
  const char* column;
};
constexpr std::array kSealedColumns = {
    SealedColumn{"llm_providers", "api_key"},
    SealedColumn{"llm_providers", "proxy_api_key"},
};

Error WrongKey(const std::string& variable, const std::string& stored, const std::string& given) {
  return MakeError(ErrorCode::kKmsKeyInvalid,
                   "environment variable " + variable + " holds key id " + given +
                       ", but the stored secrets were sealed with key id " + stored +
                       ": set it to the key they were sealed with (then `docrunch secrets "
                       "rotate` to change keys)");
}

Result<void> CheckSealed(const std::string& sealed, const std::string& stored_id,
                         const SecretBox& box, const std::string& variable) {
  if (stored_id != box.key_id()) return WrongKey(variable, stored_id, box.key_id());
  auto opened = box.Open(sealed, kCheckContext);
  if (!opened) {
    if (opened.error().code == ErrorCode::kKmsKeyInvalid) {
      return WrongKey(variable, stored_id, box.key_id());
    }
    return MakeError(ErrorCode::kKmsKeyInvalid,
                     "the stored key check value does not open with the key in " + variable + " (" +
                         opened.error().message + ")");
  }
  if (opened->view() != kCheckPlaintext) {
    return MakeError(ErrorCode::kKmsKeyInvalid,
                     "the stored key check value opened with the key in " + variable +
                         " holds something else: the kms_key_check row was tampered with");
  }
  return Ok();
}

}  // namespace

std::string SealContext(const std::string& table, const std::string& row_name,
                        const std::string& column) {
  return table + "/" + row_name + "/" + column;
}

Result<SecretKey> LoadKey(const config::Environment& env, const std::string& variable) {
  auto it = env.find(variable);
  if (variable.empty()) {
    return MakeError(ErrorCode::kKmsKeyInvalid,
                     "security.kms_key_env is empty: provider secrets need a key variable");
  }
  if (it == env.end()) {
    return MakeError(ErrorCode::kKmsKeyInvalid,
                     "environment variable " + variable +
                         " (security.kms_key_env) is not set; provider secrets are sealed with "
                         "the 32-byte key it holds (64 hex digits, e.g. `openssl rand -hex 32`)");
  }
  return SecretKey::Parse(it->second, variable);
}

Result<KeyCheckState> ReadKeyCheck(store::Reader& db) {
  auto rows = db.Query("SELECT key_id, created_at, rotated_at FROM kms_key_check WHERE id = 1");
  if (!rows) return rows.error();
  KeyCheckState state;
  if (rows->empty()) return state;
  state.present = true;
  state.key_id = rows->Text(0, "key_id").value_or("");
  state.created_at = rows->Text(0, "created_at").value_or("");
  state.rotated_at = rows->Text(0, "rotated_at").value_or("");
  return state;
}

Result<void> VerifyKeyCheck(store::Reader& db, const SecretBox& box, const std::string& variable) {
  auto rows = db.Query("SELECT key_id, sealed FROM kms_key_check WHERE id = 1");
  if (!rows) return rows.error();
  if (rows->empty()) return Ok();
  return CheckSealed(rows->Text(0, "sealed").value_or(""), rows->Text(0, "key_id").value_or(""),
                     box, variable);
}

Result<void> EnsureKeyCheck(store::Tx& tx, const SecretBox& box, const std::string& variable) {
  auto rows = tx.Query("SELECT key_id, sealed FROM kms_key_check WHERE id = 1");
  if (!rows) return rows.error();
  if (!rows->empty()) {
    return CheckSealed(rows->Text(0, "sealed").value_or(""), rows->Text(0, "key_id").value_or(""),
                       box, variable);
  }
  // ON CONFLICT: two first sealers racing both write the same meaning; the
  // loser verifies the winner's row below.
  auto inserted = tx.Exec(
      "INSERT INTO kms_key_check (id, key_id, sealed, created_at) VALUES (1, $1, $2, $3) "
      "ON CONFLICT (id) DO NOTHING",
      {box.key_id(), box.Seal(kCheckPlaintext, kCheckContext), FormatIso8601(tx.clock().Now())});
  if (!inserted) return inserted.error();
  if (*inserted == 0) return VerifyKeyCheck(tx, box, variable);
  return Ok();
}

Result<std::unique_ptr<SecretBox>> OpenSecretBox(store::Reader& db, const config::Environment& env,
                                                 const std::string& variable) {
  auto key = LoadKey(env, variable);
  if (!key) return key.error();
  auto box = std::make_unique<SecretBox>(std::move(*key));
  DOCRUNCH_TRY(VerifyKeyCheck(db, *box, variable));
  return box;
}

Result<bool> SecretsStored(store::Reader& db) {
  auto check = ReadKeyCheck(db);
  if (!check) return check.error();
  if (check->present) return true;
  auto rows = db.Query(
      "SELECT 1 FROM llm_providers WHERE api_key IS NOT NULL OR proxy_api_key IS NOT NULL "
      "LIMIT 1");
  if (!rows) return rows.error();
  return !rows->empty();
}

KeyStatus CheckKey(store::Reader& db, const config::Environment& env, const std::string& variable) {
  using State = KeyStatus::State;
  KeyStatus status;
  auto it = env.find(variable);
  status.key_set = it != env.end() && !it->second.empty();
  auto stored = SecretsStored(db);
  if (!stored) {
    status.state = State::kUnknown;
    status.message = "cannot read the stored secrets: " + stored.error().message;
    return status;
  }
  if (!status.key_set) {
    status.state = *stored ? State::kNotSet : State::kNothingSealed;
    status.message = *stored ? "environment variable " + variable +
                                   " is not set: the stored provider secrets cannot be opened"
                             : "no provider secret is stored and " + variable + " is not set";
    return status;
  }
  auto key = LoadKey(env, variable);
  if (!key) {
    status.state = State::kMalformed;
    status.message = key.error().message;
    return status;
  }
  SecretBox box(std::move(*key));
  if (!*stored) {
    status.state = State::kNothingSealed;
    status.message = "no provider secret is stored yet; " + variable + " holds key id " +
                     box.key_id() + ", which will seal them";
    return status;
  }
  auto verified = VerifyKeyCheck(db, box, variable);
  if (!verified) {
    status.state =
        verified.error().code == ErrorCode::kKmsKeyInvalid ? State::kWrong : State::kUnknown;
    status.message = verified.error().message;
    return status;
  }
  status.state = State::kVerified;
  status.message = variable + " (key id " + box.key_id() +
                   ") opens the stored provider secrets' sealed check value";
  return status;
}

Result<RotationResult> RotateSecrets(store::Store& store, const SecretBox& old_box,
                                     const SecretBox& new_box, const std::string& old_variable,
                                     const std::string& new_variable,
                                     const std::function<Result<void>(int)>& after_each) {
  if (old_box.key_id() == new_box.key_id()) {
    return MakeError(ErrorCode::kInvalidParams, "--new-key-env: " + new_variable +
                                                    " holds the key already in use (key id " +
                                                    old_box.key_id() + ")");
  }
  RotationResult result{0, old_box.key_id(), new_box.key_id()};
  auto done = store.Transact([&](store::Tx& tx) -> Result<void> {
    result.secrets = 0;
    DOCRUNCH_TRY(VerifyKeyCheck(tx, old_box, old_variable));
    for (const SealedColumn& sc : kSealedColumns) {
      const std::string table = sc.table, column = sc.column;
      auto rows = tx.Query("SELECT id, name, " + column + " AS sealed FROM " + table + " WHERE " +
                           column + " IS NOT NULL ORDER BY id");
      if (!rows) return rows.error();
      for (std::size_t i = 0; i < rows->size(); ++i) {
        const std::string name = rows->Text(i, "name").value_or("");
        const std::string context = SealContext(table, name, column);
        auto plain = old_box.Open(rows->Text(i, "sealed").value_or(""), context);
        if (!plain) {
          return MakeError(plain.error().code,
                           table + " '" + name + "' " + column + ": " + plain.error().message);
        }
        auto updated = tx.Exec("UPDATE " + table + " SET " + column + " = $1 WHERE id = $2",
                               {new_box.Seal(plain->view(), context), *rows->Int(i, "id")});
        if (!updated) return updated.error();
        ++result.secrets;
        if (after_each) DOCRUNCH_TRY(after_each(result.secrets));
      }
    }
    const std::string now = FormatIso8601(tx.clock().Now());
    auto check = tx.Exec(
        "INSERT INTO kms_key_check (id, key_id, sealed, created_at, rotated_at) "
        "VALUES (1, $1, $2, $3, $3) ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, "
        "sealed = excluded.sealed, rotated_at = excluded.rotated_at",
        {new_box.key_id(), new_box.Seal(kCheckPlaintext, kCheckContext), now});
    if (!check) return check.error();
    return Ok();
  });
  if (!done) return done.error();
  return result;
}

}  // namespace docrunch::llm
