#include "tasks/task.h"

#include <array>
#include <charconv>

namespace docrunch::tasks {
namespace {

constexpr std::array<std::string_view, 9> kStatusNames{
    "backlog", "todo", "assigned", "working", "review", "approved", "rejected", "done", "blocked"};

constexpr std::int64_t kMaxTaskId = 1'000'000'000'000'000;

std::string Shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 40)) {
    out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
  }
  return "'" + out + (text.size() > 40 ? "...'" : "'");
}

}  // namespace

std::string_view TaskStatusName(TaskStatus status) {
  return kStatusNames[static_cast<std::size_t>(status)];
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view name) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<TaskStatus>(i);
  }
  return std::nullopt;
}

const std::vector<std::string>& TaskStatusNames() {
  static const std::vector<std::string> names(kStatusNames.begin(), kStatusNames.end());
  return names;
}

std::string TaskIdText(std::int64_t id) {
  return "task-" + std::to_string(id);
}

Result<std::int64_t> ParseTaskId(std::string_view text, std::string_view field) {
  std::string_view digits = text;
  if (digits.starts_with("task-")) digits.remove_prefix(5);
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  bool ok = !digits.empty() && digits[0] != '0' && ec == std::errc() &&
            end == digits.data() + digits.size() && id >= 1 && id <= kMaxTaskId;
  if (ok) return id;
  return MakeError(ErrorCode::kInvalidParams,
                   std::string(field) + ": expected a task id such as task-42, got " + Shown(text));
}

}  // namespace docrunch::tasks
