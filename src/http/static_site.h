// The dashboard's built files (`vite build` output: index.html and hashed
// /assets/*), read into memory once and answered by exact path, so a
// request can never reach a file outside the folder (no path is ever
// joined to the disk). What a single-page app needs:
//
// - an existing file as it is: /assets/* (hashed names) with a year-long
//   immutable cache, anything else with `no-cache` (revalidated by ETag);
// - the `.br` / `.gz` sibling the build left beside a file, when the
//   request's Accept-Encoding takes it (Vary: Accept-Encoding);
// - any other path (/tasks/task-3, /modules/web.components) answers
//   index.html, so the app's own router takes over; a missing /assets/ file
//   or a name ending in a known file type (.js, .css, .png, ...) is 404 (a
//   script must never get HTML);
// - If-None-Match → 304; HEAD answers the headers alone;
// - a Content-Security-Policy that allows only the site's own scripts.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/result.h"
#include "http/server.h"

namespace docrunch::http {

// What the dashboard's pages may load: their own scripts, styles (inline
// style attributes too: the graph library positions nodes with them),
// images, workers, and connections back to this origin (REST, WebSocket).
inline constexpr std::string_view kSiteContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

class StaticSite {
 public:
  // Reads every regular file below `root` (links, hidden names and files
  // of more than 32 MB are skipped; at most 128 MB in all). Fails when
  // the folder or its index.html is missing.
  static Result<std::shared_ptr<const StaticSite>> Load(const std::filesystem::path& root);

  // The answer to a GET or HEAD of `req.path`.
  Response Answer(const Request& req) const;

  std::size_t size() const { return files_.size(); }
  const std::filesystem::path& root() const { return root_; }

 private:
  struct File {
    using Bytes = std::shared_ptr<const std::string>;
    std::string type;  // Content-Type
    Bytes body;
    Bytes gzip;        // the .gz sibling, null when none
    Bytes brotli;      // the .br sibling, null when none
    std::string etag;  // quoted
    bool immutable = false;
  };

  const File* Find(const std::string& path) const;

  std::filesystem::path root_;
  std::unordered_map<std::string, File> files_;  // by URL path: "/assets/index-3f2a.js"
};

}  // namespace docrunch::http
