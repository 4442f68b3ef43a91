// What Docrunch may say about a PostgreSQL URL: host, port and database,
// never the password. The URL came from an environment variable and may
// carry credentials, so it is parsed once and only these parts are shown.
#pragma once

#include <string>

#include "core/result.h"

namespace docrunch::store {

struct PgEndpoint {
  std::string host = "localhost";
  std::string port = "5432";
  std::string dbname;
  std::string password;  // kept only to scrub it from messages

  std::string HostPort() const { return host + ":" + port; }
  // "postgres 127.0.0.1:5430/docrunch"
  std::string Location() const { return "postgres " + HostPort() + "/" + dbname; }
};

// Parses a libpq URL (postgresql://user[:password]@host:port/db?...) or a
// "key=value" conninfo string. The error never repeats the input.
Result<PgEndpoint> ParsePostgresUrl(const std::string& url);

// `text` with every occurrence of the URL and its password replaced by
// "***" (defence in depth: libpq does not echo passwords, but its messages
// are passed on to users).
std::string ScrubSecrets(std::string text, const std::string& url, const PgEndpoint& endpoint);

}  // namespace docrunch::store
