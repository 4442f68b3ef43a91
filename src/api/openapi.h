// The OpenAPI 3.1 document of a route table: paths with their parameters
// (path parameters from {name}, query parameters from the query schema),
// request bodies, the success envelope around each data schema, the error
// envelope for every status a route can answer, and bearer security on
// every route but the public ones. Generated, never written by hand.
#pragma once

#include <string>

#include "api/route.h"

namespace docrunch::api {

json OpenApiDocument(const Routes& routes, const std::string& base_path,
                     const std::string& version);

}  // namespace docrunch::api
