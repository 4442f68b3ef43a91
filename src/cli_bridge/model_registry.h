// The model registry, `.docrunch/cli_models.json` (PRODUCT §14):
//
//   {"gemini": {"description": "...", "models": [{"id": "gemini-2.5-pro",
//                                                 "name": "...", "description": "..."}]},
//    "claude": {...}, "codex": {...}}
//
// Validated like config.yaml: every problem is reported as
// file:line:column + key path + message ("cli_models.json:7:15:
// gemini.models[1].id: ..."), unknown keys and CLI types with a "did you
// mean" hint. Keys: the CLI types this bridge can run (gemini, claude,
// codex; each optional); per type `models` (required, at least one) and
// `description` (optional); per model `id` (required, unique within its
// type), `name` and `description` (optional strings).
//
// Model ids are handed to the CLI as the argument after --model, so an id
// must look like one: 1-128 of letters, digits and . _ - : / @ +, not
// starting with '-' (which the CLI would read as an option).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/loader.h"
#include "core/result.h"

namespace docrunch::cli_bridge {

struct CliModel {
  std::string id;
  std::string name;  // the id when not given
  std::string description;
};

struct CliModels {
  std::string description;
  std::vector<CliModel> models;
};

class ModelRegistry {
 public:
  ModelRegistry() = default;
  explicit ModelRegistry(std::map<std::string, CliModels> by_cli) : by_cli_(std::move(by_cli)) {}

  // Whether `cli_type` has a model with this exact id.
  bool Has(const std::string& cli_type, const std::string& model_id) const;
  // nullptr when the type is not in the registry.
  const CliModels* Find(const std::string& cli_type) const;
  const std::map<std::string, CliModels>& all() const { return by_cli_; }

 private:
  std::map<std::string, CliModels> by_cli_;
};

// The CLI types the bridge knows how to run, in reporting order.
const std::vector<std::string>& CliTypes();

// Whether `id` is acceptable as a model id (see above).
bool IsValidModelId(const std::string& id);

// Validates `text` (the file's contents; `name` is how messages name the
// file). Fills `out`; returns every problem found (empty: valid).
std::vector<config::ConfigIssue> ValidateModelRegistry(const std::string& name,
                                                       const std::string& text, ModelRegistry& out);

// Reads and validates `path`. CONFIG_NOT_FOUND when it does not exist,
// CONFIG_INVALID listing every problem, IO when it cannot be read.
Result<ModelRegistry> LoadModelRegistry(const std::filesystem::path& path);

}  // namespace docrunch::cli_bridge
