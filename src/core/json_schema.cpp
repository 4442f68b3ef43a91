#include "core/json_schema.h"

#include <algorithm>
#include <vector>

namespace docrunch {
namespace {

using json = nlohmann::json;

bool HasType(const json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  return false;
}

std::string TypeWords(const json& type) {
  if (type.is_string()) return type.get<std::string>();
  std::string words;
  for (const auto& t : type) words += (words.empty() ? "" : " or ") + t.get<std::string>();
  return words;
}

std::string Field(const std::string& path) {
  return path.empty() ? "arguments" : path;
}

void Check(const json& schema, const json& value, const std::string& path,
           std::vector<std::string>& problems) {
  if (!schema.is_object()) return;
  if (auto type = schema.find("type"); type != schema.end()) {
    bool ok = false;
    if (type->is_string()) ok = HasType(value, *type);
    if (type->is_array()) {
      for (const auto& t : *type) ok = ok || HasType(value, t);
    }
    if (!ok) {
      problems.push_back(Field(path) + ": must be " + TypeWords(*type) + ", got " +
                         std::string(value.is_null() ? "null" : value.type_name()));
      return;
    }
  }
  if (auto values = schema.find("enum"); values != schema.end()) {
    bool found = false;
    for (const auto& v : *values) found = found || v == value;
    if (!found) problems.push_back(Field(path) + ": must be one of " + values->dump());
  }
  if (value.is_number()) {
    double v = value.get<double>();
    if (schema.contains("minimum") && v < schema["minimum"].get<double>()) {
      problems.push_back(Field(path) + ": must be at least " + schema["minimum"].dump());
    }
    if (schema.contains("maximum") && v > schema["maximum"].get<double>()) {
      problems.push_back(Field(path) + ": must be at most " + schema["maximum"].dump());
    }
  }
  if (value.is_string()) {
    auto size = value.get_ref<const std::string&>().size();
    if (schema.contains("minLength") && size < schema["minLength"].get<std::size_t>()) {
      problems.push_back(Field(path) + ": must not be empty");
    }
    // Bytes of UTF-8, stricter than JSON Schema's characters: the limits
    // bound what is stored, and the message says which.
    if (schema.contains("maxLength") && size > schema["maxLength"].get<std::size_t>()) {
      problems.push_back(Field(path) + ": must be at most " + schema["maxLength"].dump() +
                         " bytes (UTF-8), got " + std::to_string(size));
    }
  }
  if (value.is_array()) {
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<std::size_t>()) {
      problems.push_back(Field(path) + ": at most " + schema["maxItems"].dump() + " items");
    }
    if (auto items = schema.find("items"); items != schema.end()) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        Check(*items, value[i], path + "[" + std::to_string(i) + "]", problems);
      }
    }
  }
  if (value.is_object()) {
    const json properties = schema.value("properties", json::object());
    for (const auto& name : schema.value("required", json::array())) {
      if (!value.contains(name.get<std::string>())) {
        problems.push_back((path.empty() ? "" : path + ".") + name.get<std::string>() +
                           ": required");
      }
    }
    bool closed = schema.contains("additionalProperties") &&
                  schema["additionalProperties"].is_boolean() &&
                  !schema["additionalProperties"].get<bool>();
    for (const auto& [name, item] : value.items()) {
      std::string field = (path.empty() ? "" : path + ".") + name;
      auto property = properties.find(name);
      if (property != properties.end()) {
        Check(*property, item, field, problems);
      } else if (closed) {
        problems.push_back(field + ": unknown field");
      }
    }
  }
}

}  // namespace

std::string CheckSchema(const json& schema, const json& value, const std::string& path) {
  std::vector<std::string> problems;
  Check(schema, value, path, problems);
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
  return out;
}

int JsonNesting(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return limit + 1;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace docrunch
