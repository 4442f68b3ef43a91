#include "api/openapi.h"

#include <set>

namespace docrunch::api {
namespace {

// JSON Schema 2020-12 (OpenAPI 3.1) has no `required: []` problem, but an
// empty list is noise: drop it, recursively.
json Clean(json schema) {
  if (schema.is_object()) {
    if (schema.contains("required") && schema["required"].empty()) schema.erase("required");
    for (auto& [key, value] : schema.items()) value = Clean(value);
  } else if (schema.is_array()) {
    for (auto& item : schema) item = Clean(item);
  }
  return schema;
}

json ErrorResponse(const std::string& description) {
  return json{
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

}  // namespace

json OpenApiDocument(const Routes& routes, const std::string& base_path,
                     const std::string& version) {
  json paths = json::object();
  std::set<std::string> tags;
  for (const auto& route : routes) {
    json op{{"summary", route.summary},
            {"operationId", route.method + route.path},
            {"tags", {route.tag}}};
    tags.insert(route.tag);
    json parameters = json::array();
    std::string path = route.path;
    for (std::size_t open = path.find('{'); open != std::string::npos;
         open = path.find('{', open + 1)) {
      std::string name = path.substr(open + 1, path.find('}', open) - open - 1);
      parameters.push_back(
          {{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    const json& query = route.query_schema;
    std::set<std::string> required;
    for (const auto& r : query.value("required", json::array())) required.insert(r);
    const json properties = query.value("properties", json::object());
    for (const auto& [name, schema] : properties.items()) {
      json p{{"name", name},
             {"in", "query"},
             {"required", required.count(name) > 0},
             {"schema", Clean(schema)}};
      if (schema.contains("description")) p["description"] = schema["description"];
      parameters.push_back(std::move(p));
    }
    if (!parameters.empty()) op["parameters"] = std::move(parameters);
    if (!route.body_schema.is_null()) {
      op["requestBody"] = {
          {"required", !route.body_schema.value("required", json::array()).empty()},
          {"content", {{"application/json", {{"schema", Clean(route.body_schema)}}}}}};
    }
    json envelope{
        {"type", "object"},
        {"properties", {{"success", {{"const", true}}}, {"data", Clean(route.data_schema)}}},
        {"required", {"success", "data"}},
        {"additionalProperties", false}};
    json responses;
    responses[std::to_string(route.status)] = {
        {"description", "success"}, {"content", {{"application/json", {{"schema", envelope}}}}}};
    responses["400"] = ErrorResponse(
        "malformed request: bad JSON, a field of the wrong type, "
        "an unknown field or query parameter");
    responses["401"] = ErrorResponse(route.access == Access::kPublic
                                         ? "the credentials presented were refused"
                                         : "no token, or an invalid, expired or revoked one");
    responses["403"] = ErrorResponse(route.access == Access::kPublic
                                         ? "Host or Origin not allowed"
                                         : "the caller's role may not do this, or Host or "
                                           "Origin not allowed");
    responses["404"] = ErrorResponse("no such route or entity");
    responses["405"] = ErrorResponse("method not allowed (see the Allow header)");
    if (!route.body_schema.is_null()) {
      responses["409"] = ErrorResponse("conflict: invalid transition, duplicate, claimed");
      responses["413"] = ErrorResponse("body too large");
      responses["415"] = ErrorResponse("body is not application/json");
      responses["422"] = ErrorResponse("a value the service refused");
    }
    responses["429"] = ErrorResponse("rate limited (see Retry-After)");
    responses["500"] = ErrorResponse("internal error");
    for (const auto& [status, meaning] : route.errors) {
      responses[std::to_string(status)] = ErrorResponse(meaning);
    }
    op["responses"] = std::move(responses);
    if (route.access == Access::kPublic) {
      op["security"] = json::array();
    } else {
      static const char* kRoles[] = {"public", "reader", "agent", "admin"};
      op["x-docrunch-role"] = kRoles[static_cast<int>(route.access)];
    }
    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[base_path + route.path][method] = std::move(op);
  }
  json tag_list = json::array();
  for (const auto& t : tags) tag_list.push_back({{"name", t}});

  json error_body = json::object();
  error_body["type"] = "object";
  error_body["properties"]["code"]["type"] = "string";
  error_body["properties"]["message"]["type"] = "string";
  error_body["properties"]["details"] = json::object();
  error_body["required"] = json::array({"code", "message"});
  json error = json::object();
  error["type"] = "object";
  error["properties"]["success"]["const"] = false;
  error["properties"]["error"] = std::move(error_body);
  error["required"] = json::array({"success", "error"});

  json doc = json::object();
  doc["openapi"] = "3.1.0";
  doc["info"]["title"] = "Docrunch REST API";
  doc["info"]["version"] = version;
  doc["info"]["description"] =
      "Every answer is {success: true, data} or {success: false, error: {code, message, "
      "details?}}.";
  doc["tags"] = std::move(tag_list);
  doc["paths"] = std::move(paths);
  doc["security"] = json::array({json{{"bearer", json::array()}}});
  json& bearer = doc["components"]["securitySchemes"]["bearer"];
  bearer["type"] = "http";
  bearer["scheme"] = "bearer";
  bearer["description"] =
      "an access JWT from /auth/login, an agent token (drt_...), or with auth off the token "
      "`serve` prints";
  doc["components"]["schemas"]["Error"] = std::move(error);
  return doc;
}

}  // namespace docrunch::api
