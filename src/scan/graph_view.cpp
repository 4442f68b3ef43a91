#include "scan/graph_view.h"

#include <set>

namespace docrunch::scan {

Result<nlohmann::json> GraphView(store::Store& store, std::int64_t repo, const std::string& view) {
  using nlohmann::json;
  json nodes = json::array(), edges = json::array();
  std::set<std::string> seen;
  auto node = [&](const std::string& id, const std::string& label, const std::string& type) {
    if (seen.insert(id).second) nodes.push_back({{"id", id}, {"label", label}, {"type", type}});
  };
  if (view == "structure" || view == "dependencies") {
    auto files = store.Query(
        "SELECT path, language FROM files WHERE repository_id = $1 ORDER BY path", {repo});
    if (!files) return files.error();
    for (std::size_t i = 0; i < files->size(); ++i) {
      std::string path = *files->Text(i, "path");
      node(path, path.substr(path.rfind('/') + 1), "file");
      if (view != "structure") continue;
      std::string child = path;
      for (auto slash = path.rfind('/'); slash != std::string::npos;
           slash = path.rfind('/', slash - 1)) {
        std::string dir = path.substr(0, slash);
        node(dir, dir.substr(dir.rfind('/') + 1), "directory");
        edges.push_back({{"source", dir}, {"target", child}, {"type", "contains"}});
        child = dir;
        if (slash == 0) break;
      }
    }
    if (view == "dependencies") {
      auto rels = store.Query(
          "SELECT source, target FROM relationships WHERE repository_id = $1 AND type = 'imports' "
          "AND target NOT LIKE 'ext:%' ORDER BY source, target",
          {repo});
      if (!rels) return rels.error();
      for (std::size_t i = 0; i < rels->size(); ++i) {
        edges.push_back({{"source", *rels->Text(i, "source")},
                         {"target", *rels->Text(i, "target")},
                         {"type", "imports"}});
      }
    }
  } else {
    std::string kind = view == "components" ? "component" : "schema";
    auto symbols = store.Query(
        "SELECT f.path, s.qualified_name, s.detail, s.fields FROM symbols s JOIN files f ON f.id = "
        "s.file_id "
        "WHERE s.repository_id = $1 AND s.kind = $2 ORDER BY f.path, s.qualified_name",
        {repo, kind});
    if (!symbols) return symbols.error();
    for (std::size_t i = 0; i < symbols->size(); ++i) {
      std::string id = *symbols->Text(i, "path") + "#" + *symbols->Text(i, "qualified_name");
      node(id, *symbols->Text(i, "qualified_name"), kind);
      if (view == "database") {
        for (const auto& field : json::parse(symbols->Text(i, "fields").value_or("[]"))) {
          std::string field_id = id + "." + field.get<std::string>();
          node(field_id, field.get<std::string>(), "field");
          edges.push_back({{"source", id}, {"target", field_id}, {"type", "has_field"}});
        }
      }
    }
    std::string types = view == "components" ? "'uses'" : "'inherits', 'uses'";
    auto rels = store.Query(
        "SELECT source, target, type FROM relationships WHERE repository_id = $1 AND type IN (" +
            types + ") ORDER BY source, target",
        {repo});
    if (!rels) return rels.error();
    for (std::size_t i = 0; i < rels->size(); ++i) {
      std::string source = *rels->Text(i, "source"), target = *rels->Text(i, "target");
      if (seen.count(source) && seen.count(target)) {
        edges.push_back({{"source", source}, {"target", target}, {"type", *rels->Text(i, "type")}});
      }
    }
  }
  return json{{"view", view}, {"nodes", nodes}, {"edges", edges}};
}

}  // namespace docrunch::scan
