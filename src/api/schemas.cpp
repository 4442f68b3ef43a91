#include "api/schemas.h"

#include <charconv>

namespace docrunch::api::schema {

json Str(const std::string& description, int max_length) {
  json s{{"type", "string"}};
  if (!description.empty()) s["description"] = description;
  if (max_length > 0) s["maxLength"] = max_length;
  return s;
}

json Int(const std::string& description, long long minimum, long long maximum) {
  json s{{"type", "integer"}, {"minimum", minimum}, {"maximum", maximum}};
  if (!description.empty()) s["description"] = description;
  return s;
}

json Num(const std::string& description) {
  json s{{"type", "number"}};
  if (!description.empty()) s["description"] = description;
  return s;
}

json Bool(const std::string& description) {
  json s{{"type", "boolean"}};
  if (!description.empty()) s["description"] = description;
  return s;
}

json Enum(const std::vector<std::string>& values, const std::string& description) {
  json s{{"type", "string"}, {"enum", values}};
  if (!description.empty()) s["description"] = description;
  return s;
}

json Array(json items, const std::string& description) {
  json s{{"type", "array"}, {"items", std::move(items)}};
  if (!description.empty()) s["description"] = description;
  return s;
}

json Nullable(json schema) {
  if (schema.contains("enum")) schema["enum"].push_back(nullptr);
  json type = schema.value("type", json("string"));
  if (type.is_string()) {
    schema["type"] = json::array({type, "null"});
  } else if (type.is_array()) {
    type.push_back("null");
    schema["type"] = type;
  }
  return schema;
}

json Object(json properties, std::vector<std::string> required) {
  return json{{"type", "object"},
              {"properties", std::move(properties)},
              {"required", std::move(required)},
              {"additionalProperties", false}};
}

json AnyObject(const std::string& description) {
  json s{{"type", "object"}};
  if (!description.empty()) s["description"] = description;
  return s;
}

json Page(json item) {
  return Object({{"items", Array(std::move(item))},
                 {"next_cursor", Nullable(Str("pass as ?cursor= for the next page"))}},
                {"items", "next_cursor"});
}

json PageQuery(json extra) {
  extra["limit"] = Int("items per page (default 50)", 1, 200);
  extra["cursor"] = Str("the next_cursor of the previous page", 64);
  return Object(std::move(extra));
}

}  // namespace docrunch::api::schema

namespace docrunch::api {

Result<PageRequest> ReadPage(const Call& call) {
  PageRequest page;
  if (call.query.contains("limit")) page.limit = call.query["limit"].get<std::size_t>();
  if (call.query.contains("cursor")) {
    const std::string& text = call.query["cursor"].get_ref<const std::string&>();
    // "p" + the decimal offset of the next item, at most 10^12 (so offset +
    // limit never overflows, and the database takes it as a BIGINT).
    std::size_t offset = 0;
    bool ok = text.size() >= 2 && text.size() <= 14 && text[0] == 'p';
    if (ok) {
      const char* end = text.data() + text.size();
      auto parsed = std::from_chars(text.data() + 1, end, offset);
      ok = parsed.ec == std::errc() && parsed.ptr == end && offset <= 1'000'000'000'000ULL;
    }
    if (!ok) return MakeError(ErrorCode::kUsage, "cursor: not a cursor of this list");
    page.offset = offset;
  }
  return page;
}

json MakePage(json all, const PageRequest& page) {
  json items = json::array();
  std::size_t end = std::min(all.size(), page.offset + page.limit);
  for (std::size_t i = page.offset; i < end; ++i) items.push_back(std::move(all[i]));
  json next = end < all.size() ? json("p" + std::to_string(end)) : json(nullptr);
  return json{{"items", std::move(items)}, {"next_cursor", std::move(next)}};
}

json MakePageOf(json rows, const PageRequest& page) {
  bool more = rows.size() > page.limit;
  if (more) rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(page.limit), rows.end());
  json next = more ? json("p" + std::to_string(page.offset + page.limit)) : json(nullptr);
  return json{{"items", std::move(rows)}, {"next_cursor", std::move(next)}};
}

}  // namespace docrunch::api
