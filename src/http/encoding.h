// Content codings for answers: what a client's Accept-Encoding takes, and
// gzip itself (zlib). Shared by the dashboard's files (whose .gz and .br
// the build made) and the REST answers kept in memory (compressed once).
#pragma once

#include <string>
#include <string_view>

namespace docrunch::http {

// Whether an Accept-Encoding value takes `coding` ("gzip", "br"); a q=0
// refuses it, "*" takes it unless it is refused by name.
bool AcceptsEncoding(std::string_view header, std::string_view coding);

// `data` as a gzip member (RFC 1952), at a fast level: worth it for text
// sent many times. "" when zlib fails (send the data as it is).
std::string Gzip(std::string_view data);

}  // namespace docrunch::http
