// The system routes: liveness, and the shape of the source of truth.
#include "api/routes.h"
#include "api/schemas.h"

namespace docrunch::api {

using namespace schema;

void AddSystemRoutes(Routes& routes, ApiServices& s) {
  routes.push_back({"GET", "/health", Access::kPublic, "system",
                    "Liveness: the server answers and its database too (no sign-in needed)",
                    json::object(), nullptr,
                    Object({{"status", Enum({"ok", "degraded"})},
                            {"version", Str()},
                            {"database", Enum({"ok", "down"})}},
                           {"status", "version", "database"}),
                    200, [&s](Call&) -> Result<json> {
                      auto ping = s.store->Query("SELECT 1 AS one");
                      return json{{"status", ping ? "ok" : "degraded"},
                                  {"version", s.version},
                                  {"database", ping ? "ok" : "down"}};
                    }});
}

}  // namespace docrunch::api
