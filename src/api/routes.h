// The route groups of the REST API, one file each (routes_*.cpp), every
// handler a thin facade over a service. rest_server.cpp adds the auth
// routes (they share its sign-in throttle and cookie) and /openapi.json.
#pragma once

#include "api/route.h"
#include "api/services.h"

namespace docrunch::api {

// health, schema.
void AddSystemRoutes(Routes& routes, ApiServices& services);
// search, modules, functions, decisions, findings, graph.
void AddKnowledgeRoutes(Routes& routes, ApiServices& services);
// tasks: list, get, create, patch, the moves, reports.
void AddTaskRoutes(Routes& routes, ApiServices& services);
// tokens, users, audit.
void AddAdminRoutes(Routes& routes, ApiServices& services);
// The data-flow views: backend health, lineage, outbox events, the diff,
// an entity's locations, the schema, query traces and their statistics.
void AddDataFlowRoutes(Routes& routes, ApiServices& services);
void AddWorkflowRoutes(Routes& routes, ApiServices& services);
// chat sessions and messages (chat/chat.h).
void AddChatRoutes(Routes& routes, ApiServices& services);
// LLM admin: providers (+ test), models, profiles, the CLI model registry.
void AddLlmRoutes(Routes& routes, ApiServices& services);
// Operations: snapshots (list, create, diff) and the LLM spend (cost).
void AddOpsRoutes(Routes& routes, ApiServices& services);

}  // namespace docrunch::api
