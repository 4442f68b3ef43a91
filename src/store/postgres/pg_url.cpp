#include "store/postgres/pg_url.h"

#include <libpq-fe.h>

#include <memory>
#include <string_view>

namespace docrunch::store {
namespace {

void ReplaceAll(std::string& text, std::string_view what) {
  if (what.empty()) return;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 3)) {
    text.replace(at, what.size(), "***");
  }
}

}  // namespace

Result<PgEndpoint> ParsePostgresUrl(const std::string& url) {
  if (url.empty()) {
    return MakeError(ErrorCode::kConfigInvalid,
                     "no PostgreSQL URL given for storage.backend postgres");
  }
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options(
      PQconninfoParse(url.c_str(), &error), PQconninfoFree);
  if (!options) {
    PQfreemem(error);  // may quote the URL: not shown
    return MakeError(ErrorCode::kConfigInvalid,
                     "the PostgreSQL URL is not a valid libpq URL "
                     "(expected postgresql://user@host:port/database)");
  }
  PgEndpoint endpoint;
  std::string user, hostaddr;
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || o->val[0] == '\0') continue;
    std::string_view key = o->keyword;
    if (key == "host") endpoint.host = o->val;
    if (key == "hostaddr") hostaddr = o->val;
    if (key == "port") endpoint.port = o->val;
    if (key == "dbname") endpoint.dbname = o->val;
    if (key == "user") user = o->val;
    if (key == "password") endpoint.password = o->val;
  }
  if (endpoint.host == "localhost" && !hostaddr.empty()) endpoint.host = hostaddr;
  // libpq's default database is the user's name.
  if (endpoint.dbname.empty()) endpoint.dbname = user;
  return endpoint;
}

std::string ScrubSecrets(std::string text, const std::string& url, const PgEndpoint& endpoint) {
  ReplaceAll(text, url);
  ReplaceAll(text, endpoint.password);
  return text;
}

}  // namespace docrunch::store
