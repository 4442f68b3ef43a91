// The KMS key in use, checked against the database before any secret is
// needed (PRODUCT §13: "a wrong or missing key is detected at start-up").
//
// The database holds one sealed check value (table kms_key_check, migration
// 14), written with the first secret. A process that will need secrets
// calls OpenSecretBox first: it reads the key from the environment variable
// `security.kms_key_env` names and opens the check value with it, so a
// missing, malformed or wrong key is one KMS_KEY_INVALID error naming the
// variable (never the key) rather than a failure at the first provider call.
//
// RotateSecrets re-seals every secret and the check value with a new key in
// one transaction: a crash or failure at any point leaves the database
// wholly under the old key or wholly under the new one.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/loader.h"
#include "llm/secret_box.h"
#include "store/store.h"

namespace docrunch::llm {

// The key in `variable` (KMS_KEY_INVALID when unset, empty or malformed).
Result<SecretKey> LoadKey(const config::Environment& env, const std::string& variable);

struct KeyCheckState {
  bool present = false;  // a check value is stored (some secret was sealed)
  std::string key_id;    // the key id it was sealed with
  std::string created_at, rotated_at;
};

Result<KeyCheckState> ReadKeyCheck(store::Reader& db);

// OK when no check value is stored yet, or when it opens with `box`.
// KMS_KEY_INVALID naming `variable` and both key ids otherwise.
Result<void> VerifyKeyCheck(store::Reader& db, const SecretBox& box, const std::string& variable);

// Inside the transaction that seals a secret: verifies the check value, or
// writes it when there is none.
Result<void> EnsureKeyCheck(store::Tx& tx, const SecretBox& box, const std::string& variable);

// LoadKey + VerifyKeyCheck: the box a command that seals or opens secrets uses.
Result<std::unique_ptr<SecretBox>> OpenSecretBox(store::Reader& db, const config::Environment& env,
                                                 const std::string& variable);

// Whether the database holds a secret or a check value, i.e. whether a
// process that may call providers needs the key at start-up.
Result<bool> SecretsStored(store::Reader& db);

// What can be told of the key in `variable` right now, for system health:
// LoadKey, SecretsStored and VerifyKeyCheck (what OpenSecretBox and doctor
// run), as one state. `message` names the variable and key ids, never a key.
struct KeyStatus {
  enum class State {
    kVerified,       // secrets are stored and the key opens their check value
    kNothingSealed,  // no secret is stored yet; the key (if any) is well-formed
    kNotSet,         // secrets are stored but the variable is unset or empty
    kMalformed,      // the variable does not hold a 32-byte key
    kWrong,          // the key does not open the stored check value
    kUnknown,        // the database could not be read
  };
  State state = State::kUnknown;
  bool key_set = false;  // the variable holds something
  std::string message;
};
KeyStatus CheckKey(store::Reader& db, const config::Environment& env, const std::string& variable);

struct RotationResult {
  int secrets = 0;  // sealed values re-sealed (the check value not counted)
  std::string old_key_id, new_key_id;
};

// Re-seals every stored secret and the check value from `old_box` to
// `new_box` in one transaction. `after_each(n)` runs inside it after the
// n-th secret is re-sealed (a test seam for failures mid-rotation: an
// error it returns rolls everything back). Refuses when the check value
// does not open with `old_box` (nothing changes) or when both keys are
// the same. With nothing stored, only the check value is written.
Result<RotationResult> RotateSecrets(store::Store& store, const SecretBox& old_box,
                                     const SecretBox& new_box, const std::string& old_variable,
                                     const std::string& new_variable,
                                     const std::function<Result<void>(int)>& after_each = {});

// The sealing context of a secret column of a row: "<table>/<name>/<column>".
std::string SealContext(const std::string& table, const std::string& row_name,
                        const std::string& column);

}  // namespace docrunch::llm
