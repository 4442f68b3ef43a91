#include "ops/snapshot_data.h"

#include "ops/archive.h"

namespace docrunch::ops {
namespace {

using nlohmann::json;

json ValueJson(const store::Value& v) {
  if (std::holds_alternative<std::int64_t>(v)) return std::get<std::int64_t>(v);
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  return nullptr;
}

}  // namespace

const std::vector<std::string>& TaskTables() {
  static const std::vector<std::string> kTables{"tasks",    "task_history", "completion_reports",
                                                "findings", "decisions",    "blockers"};
  return kTables;
}

Result<json> ExportLogical(store::Reader& db, std::int64_t repository_id) {
  json tables = json::object();
  json index = json::object();
  if (repository_id != 0) {
    for (const auto& table : TaskTables()) {
      // Table names are the constants above, never input.
      auto rows = db.Query("SELECT * FROM " + table + " WHERE repository_id = $1 ORDER BY id",
                           {repository_id});
      if (!rows) return rows.error();
      json out_rows = json::array();
      for (const auto& row : rows->rows) {
        json r = json::array();
        for (const auto& v : row) r.push_back(ValueJson(v));
        out_rows.push_back(std::move(r));
      }
      tables[table] = {{"columns", rows->columns}, {"rows", std::move(out_rows)}};
    }
    auto docs = db.Query(
        "SELECT doc_key, title, content, file_path, line_number FROM search_docs "
        "WHERE repository_id = $1",
        {repository_id});
    if (!docs) return docs.error();
    for (std::size_t i = 0; i < docs->size(); ++i) {
      std::string text = docs->Text(i, "title").value_or("");
      text += '\0' + docs->Text(i, "content").value_or("");
      text += '\0' + docs->Text(i, "file_path").value_or("");
      text += '\0' + std::to_string(docs->Int(i, "line_number").value_or(-1));
      index[docs->Text(i, "doc_key").value_or("")] = HashBytes(text);
    }
  }
  return json{{"tables", std::move(tables)}, {"index", std::move(index)}};
}

}  // namespace docrunch::ops
