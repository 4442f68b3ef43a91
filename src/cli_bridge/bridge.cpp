#include "cli_bridge/bridge.h"

#include <algorithm>

#include "cli_bridge/process_runner.h"

namespace docrunch::cli_bridge {
namespace {

using std::chrono::milliseconds;

std::string Seconds(milliseconds ms) {
  auto s = ms.count() / 1000.0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

// The last `max` bytes of stderr, on one line, for an error message.
std::string Tail(const std::string& text, std::size_t max) {
  std::string t = text.size() > max ? "..." + text.substr(text.size() - max) : text;
  std::replace(t.begin(), t.end(), '\n', ' ');
  t.erase(t.find_last_not_of(" \r\t") + 1);
  return t;
}

std::string Failure(const RunOutcome& o, const std::string& cli, milliseconds timeout) {
  if (o.timed_out) return cli + " timed out after " + Seconds(timeout) + " (process group ended)";
  std::string how = o.term_signal ? "was ended by signal " + std::to_string(o.term_signal)
                                  : "exited with status " + std::to_string(o.exit_code);
  std::string err = Tail(o.err, 2000);
  return cli + " " + how + (err.empty() ? "" : ": " + err);
}

}  // namespace

nlohmann::json ToJson(const ExecuteResult& r) {
  return {{"success", r.success},
          {"content", r.content},
          {"error", r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error)},
          {"cli_type", r.cli_type},
          {"model", r.model},
          {"execution_time_ms", r.execution_time_ms}};
}

CliBridge::CliBridge(BridgeOptions options, ModelRegistry registry)
    : options_(std::move(options)),
      registry_(std::move(registry)),
      discovery_(options_.discovery) {}

std::optional<std::vector<std::string>> CliBridge::Arguments(const std::string& cli_type,
                                                             const std::string& model) {
  if (cli_type == "gemini") return std::vector<std::string>{"--model", model};
  if (cli_type == "claude") return std::vector<std::string>{"-p", "--model", model};
  if (cli_type == "codex") return std::vector<std::string>{"exec", "--model", model};
  return std::nullopt;
}

Result<ExecuteResult> CliBridge::Execute(const ExecuteRequest& q) const {
  auto args = Arguments(q.cli_type, q.model);
  if (!args) {
    return MakeError(ErrorCode::kInvalidParams,
                     "cli_type: unknown CLI " + nlohmann::json(q.cli_type.substr(0, 64)).dump() +
                         "; one of gemini, claude, codex");
  }
  if (!registry_.Has(q.cli_type, q.model)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "model: " + nlohmann::json(q.model.substr(0, 128)).dump() +
                         " is not registered for " + q.cli_type + " in cli_models.json");
  }
  if (q.prompt.empty()) return MakeError(ErrorCode::kInvalidParams, "prompt: must not be empty");
  if (q.prompt.size() > options_.max_prompt_bytes) {
    return MakeError(ErrorCode::kInvalidParams, "prompt: " + std::to_string(q.prompt.size()) +
                                                    " bytes, over the limit of " +
                                                    std::to_string(options_.max_prompt_bytes));
  }
  milliseconds timeout = q.timeout.value_or(options_.default_timeout);
  if (timeout <= milliseconds(0)) {
    return MakeError(ErrorCode::kInvalidParams, "timeout: must be more than 0");
  }
  // More than the host allows runs with the most it allows: a caller
  // passing its own (longer) deadline along still gets an answer.
  timeout = std::min(timeout, options_.max_timeout);
  auto exe = discovery_.Find(q.cli_type);
  if (!exe) {
    return MakeError(ErrorCode::kStorageUnavailable,
                     q.cli_type +
                         " is not installed on this host (searched PATH, ~/.local/bin, "
                         "/usr/local/bin and npm's global bin)");
  }
  RunOptions run;
  run.argv = {exe->string()};
  run.argv.insert(run.argv.end(), args->begin(), args->end());
  run.env = options_.env;
  run.input = q.prompt + "\n";
  run.timeout = timeout;
  run.kill_grace = options_.kill_grace;
  run.max_stdout_bytes = options_.max_output_bytes;
  run.max_stderr_bytes = options_.max_stderr_bytes;
  auto outcome = RunProcess(run);
  if (!outcome) return outcome.error();
  ExecuteResult r;
  r.cli_type = q.cli_type;
  r.model = q.model;
  r.exit_code = outcome->exit_code;
  r.timed_out = outcome->timed_out;
  r.truncated = outcome->out_truncated;
  r.execution_time_ms = outcome->elapsed.count();
  r.content = std::move(outcome->out);
  r.success = !outcome->timed_out && outcome->exit_code == 0;
  if (!r.success) {
    r.error = Failure(*outcome, q.cli_type, timeout);
  } else if (r.truncated) {
    r.error = "output truncated to " + std::to_string(options_.max_output_bytes) + " of " +
              std::to_string(outcome->out_bytes) + " bytes";
  }
  return r;
}

std::vector<CliStatus> CliBridge::Health() const {
  std::vector<CliStatus> out;
  for (const auto& cli : CliTypes()) {
    CliStatus s;
    s.cli_type = cli;
    if (const CliModels* models = registry_.Find(cli)) {
      for (const auto& m : models->models) s.models.push_back(m.id);
    }
    if (auto exe = discovery_.Find(cli)) {
      s.available = true;
      s.path = exe->string();
      s.version = discovery_.Version(*exe);
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace docrunch::cli_bridge
