// snapshot diff: tasks, decisions, Markdown pages and search index between
// two snapshots, or a snapshot and now.
#include <algorithm>

#include "core/files.h"
#include "ops/archive.h"
#include "ops/snapshot_data.h"
#include "ops/snapshots.h"

namespace docrunch::ops {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Side {
  std::string name;
  json logical;
  std::map<std::string, std::string> docs;  // page -> xxh3
};

Result<Side> LoadSnapshotSide(const SnapshotEnv& env, const std::string& version) {
  auto info = FindSnapshot(env, version);
  if (!info) return info.error();
  Side side;
  side.name = version;
  for (const auto& e : info->manifest.entries) {
    if (e.path.rfind("docs/", 0) == 0) side.docs[e.path.substr(5)] = e.xxh3;
  }
  EntryReader reader;
  reader.keep_in_memory = [](const std::string& name) { return name == "data/logical.json"; };
  auto memory = ReadEntries(info->file, reader);
  if (!memory) return memory.error();
  auto it = memory->find("data/logical.json");
  if (it == memory->end() ||
      HashBytes(it->second) !=
          std::find_if(info->manifest.entries.begin(), info->manifest.entries.end(),
                       [](const ManifestEntry& e) { return e.path == "data/logical.json"; })
              ->xxh3) {
    return MakeError(ErrorCode::kStorageCorrupt,
                     info->file.string() + ": data/logical.json is missing or damaged");
  }
  side.logical = json::parse(it->second, nullptr, false);
  if (side.logical.is_discarded()) {
    return MakeError(ErrorCode::kStorageCorrupt, info->file.string() + ": data/logical.json");
  }
  return side;
}

Result<Side> LoadLiveSide(const SnapshotEnv& env, store::Store& live) {
  Side side;
  side.name = "now";
  auto repo = CurrentRepository(live, env.project_root);
  auto logical = ExportLogical(live, repo ? repo->id : 0);
  if (!logical) return logical.error();
  side.logical = std::move(*logical);
  std::error_code ec;
  if (fs::is_directory(env.docs_root, ec)) {
    for (auto it = fs::recursive_directory_iterator(env.docs_root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file() || it->is_symlink()) continue;
      if (it->path().filename().string().find(".tmp-") != std::string::npos) continue;
      auto hash = HashFile(it->path());
      if (!hash) return hash.error();
      side.docs[fs::relative(it->path(), env.docs_root).generic_string()] = *hash;
    }
  }
  return side;
}

// Rows of one table of a side by id, as column -> value.
std::map<std::int64_t, json> RowsById(const json& logical, const std::string& table) {
  std::map<std::int64_t, json> out;
  const json& t = logical.value("tables", json::object()).value(table, json::object());
  if (!t.contains("columns")) return out;
  const auto& columns = t["columns"];
  for (const auto& row : t["rows"]) {
    json obj = json::object();
    for (std::size_t i = 0; i < columns.size() && i < row.size(); ++i) obj[columns[i]] = row[i];
    if (obj.contains("id") && obj["id"].is_number_integer())
      out[obj["id"].get<std::int64_t>()] = obj;
  }
  return out;
}

std::string Show(const json& v) {
  if (v.is_null()) return "none";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// Changes of one table: the named fields compared; the label of a row.
std::vector<ItemChange> DiffRows(const std::map<std::int64_t, json>& before,
                                 const std::map<std::int64_t, json>& after,
                                 const std::vector<std::string>& fields,
                                 const std::function<std::string(const json&)>& label,
                                 const std::function<std::string(const json&)>& summary) {
  std::vector<ItemChange> out;
  for (const auto& [id, row] : after) {
    auto it = before.find(id);
    if (it == before.end()) {
      out.push_back({'+', label(row), summary(row)});
      continue;
    }
    std::string detail;
    for (const auto& f : fields) {
      const json a = it->second.value(f, json()), b = row.value(f, json());
      if (a != b) detail += (detail.empty() ? "" : ", ") + f + " " + Show(a) + " -> " + Show(b);
    }
    if (!detail.empty()) out.push_back({'~', label(row), detail});
  }
  for (const auto& [id, row] : before) {
    if (!after.count(id)) out.push_back({'-', label(row), summary(row)});
  }
  return out;
}

std::string DecisionLabel(const json& row) {
  const json number = row.value("number", json());
  if (number.is_number_integer()) {
    char id[32];
    std::snprintf(id, sizeof id, "adr-%03lld", static_cast<long long>(number.get<std::int64_t>()));
    return id;
  }
  return "decision-" + Show(row.value("id", json()));
}

}  // namespace

Result<SnapshotDiff> DiffSnapshots(const SnapshotEnv& env, store::Store* live,
                                   const std::string& from, const std::optional<std::string>& to) {
  auto a = LoadSnapshotSide(env, from);
  if (!a) return a.error();
  Result<Side> b = MakeError(ErrorCode::kInternal, "unread");
  if (to) {
    b = LoadSnapshotSide(env, *to);
    // FindSnapshot names its argument `version`; here it is `to`.
    if (!b && b.error().code == ErrorCode::kInvalidParams &&
        b.error().message.rfind("version:", 0) == 0) {
      Error e = b.error();
      e.message.replace(0, 8, "to:");
      b = e;
    }
  } else if (live) {
    b = LoadLiveSide(env, *live);
  } else {
    return MakeError(ErrorCode::kStorageUnavailable, "no database to compare with");
  }
  if (!b) return b.error();
  SnapshotDiff d;
  d.from = a->name;
  d.to = b->name;
  d.tasks = DiffRows(
      RowsById(a->logical, "tasks"), RowsById(b->logical, "tasks"),
      {"status", "title", "priority", "assigned_to", "progress"},
      [](const json& r) { return "task-" + Show(r.value("id", json())); },
      [](const json& r) {
        return "\"" + Show(r.value("title", json())) + "\" (" + Show(r.value("status", json())) +
               ")";
      });
  d.decisions = DiffRows(RowsById(a->logical, "decisions"), RowsById(b->logical, "decisions"),
                         {"status", "title", "decision"}, DecisionLabel, [](const json& r) {
                           return "\"" + Show(r.value("title", json())) + "\"";
                         });
  for (const auto& [page, hash] : b->docs) {
    auto it = a->docs.find(page);
    if (it == a->docs.end()) {
      d.docs.push_back({'+', page, ""});
    } else if (it->second != hash) {
      d.docs.push_back({'~', page, ""});
    }
  }
  for (const auto& [page, hash] : a->docs) {
    if (!b->docs.count(page)) d.docs.push_back({'-', page, ""});
  }
  std::sort(d.docs.begin(), d.docs.end(),
            [](const ItemChange& x, const ItemChange& y) { return x.id < y.id; });
  const json ia = a->logical.value("index", json::object());
  const json ib = b->logical.value("index", json::object());
  d.index_before = static_cast<std::int64_t>(ia.size());
  d.index_after = static_cast<std::int64_t>(ib.size());
  for (auto it = ib.begin(); it != ib.end(); ++it) {
    auto old = ia.find(it.key());
    if (old == ia.end()) {
      ++d.index_added;
    } else if (*old != it.value()) {
      ++d.index_changed;
    }
  }
  for (auto it = ia.begin(); it != ia.end(); ++it) {
    if (!ib.contains(it.key())) ++d.index_removed;
  }
  return d;
}

json ToJson(const SnapshotDiff& d) {
  auto list = [](const std::vector<ItemChange>& changes) {
    json out = json::array();
    for (const auto& c : changes) {
      const char* kind = c.kind == '+' ? "added" : c.kind == '-' ? "removed" : "changed";
      out.push_back({{"change", kind}, {"id", c.id}, {"detail", c.detail}});
    }
    return out;
  };
  return {{"from", d.from},
          {"to", d.to},
          {"tasks", list(d.tasks)},
          {"decisions", list(d.decisions)},
          {"docs", list(d.docs)},
          {"index",
           {{"documents_before", d.index_before},
            {"documents_after", d.index_after},
            {"added", d.index_added},
            {"removed", d.index_removed},
            {"changed", d.index_changed}}}};
}

std::string ToText(const SnapshotDiff& d) {
  const std::string to = d.to == "now" ? "now" : "snapshot " + d.to;
  std::string out = "snapshot " + d.from + " -> " + to + "\n";
  auto section = [&out](const std::string& title, const std::vector<ItemChange>& changes,
                        std::size_t limit) {
    std::size_t added = 0, removed = 0, changed = 0;
    for (const auto& c : changes) (c.kind == '+' ? added : c.kind == '-' ? removed : changed)++;
    out += title + ": " + std::to_string(added) + " added, " + std::to_string(removed) +
           " removed, " + std::to_string(changed) + " changed\n";
    for (std::size_t i = 0; i < changes.size() && i < limit; ++i) {
      out += std::string("  ") + changes[i].kind + " " + changes[i].id +
             (changes[i].detail.empty() ? "" : "  " + changes[i].detail) + "\n";
    }
    if (changes.size() > limit) {
      out += "  ... and " + std::to_string(changes.size() - limit) + " more (--json lists all)\n";
    }
  };
  section("tasks", d.tasks, 50);
  section("decisions", d.decisions, 50);
  section("docs", d.docs, 30);
  out += "index: " + std::to_string(d.index_before) + " -> " + std::to_string(d.index_after) +
         " documents (" + std::to_string(d.index_added) + " added, " +
         std::to_string(d.index_removed) + " removed, " + std::to_string(d.index_changed) +
         " changed)\n";
  return out;
}

}  // namespace docrunch::ops
