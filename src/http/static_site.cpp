#include "http/static_site.h"

#include <sodium.h>

#include <array>
#include <string_view>
#include <system_error>

#include "core/files.h"
#include "http/encoding.h"

namespace docrunch::http {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxFileBytes = 32u << 20;
constexpr std::uintmax_t kMaxSiteBytes = 128u << 20;

std::string_view TypeOf(std::string_view extension) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (ext == extension) return type;
  }
  return "application/octet-stream";
}

std::string EntityTag(const std::string& body) {
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return "\"" + std::string(hex) + "\"";
}

bool IfNoneMatch(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  if (header == "*") return true;
  return header.find(etag) != std::string_view::npos;
}

}  // namespace

Result<std::shared_ptr<const StaticSite>> StaticSite::Load(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_regular_file(root / "index.html", ec)) {
    return MakeError(ErrorCode::kConfigInvalid,
                     "the dashboard's files are not built: no index.html in " + root.string());
  }
  auto site = std::make_shared<StaticSite>();
  site->root_ = root;
  std::uintmax_t total = 0;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return MakeError(ErrorCode::kIo, root.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return MakeError(ErrorCode::kIo, root.string() + ": " + ec.message());
    const fs::path& path = it->path();
    std::string name = path.filename().string();
    if (name.empty() || name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    std::string ext = path.extension().string();
    if (ext == ".gz" || ext == ".br") continue;  // read with the file they compress
    std::uintmax_t bytes = it->file_size(ec);
    if (ec || bytes > kMaxFileBytes) continue;
    auto body = ReadFileText(path);
    if (!body) return body.error();
    total += body->size();
    if (total > kMaxSiteBytes) {
      return MakeError(
          ErrorCode::kInvalidParams,
          root.string() + ": more than 128 MB of files; is this the dashboard's folder?");
    }
    File file;
    file.type = std::string(TypeOf(ext));
    file.etag = EntityTag(*body);
    file.body = std::make_shared<const std::string>(std::move(*body));
    for (auto [suffix, slot] : {std::pair{".gz", &file.gzip}, std::pair{".br", &file.brotli}}) {
      fs::path sibling = path;
      sibling += suffix;
      if (fs::is_regular_file(sibling, ec) && !fs::is_symlink(sibling, ec)) {
        auto packed = ReadFileText(sibling);
        // Only a smaller copy is worth sending.
        if (packed && packed->size() < file.body->size()) {
          *slot = std::make_shared<const std::string>(std::move(*packed));
        }
      }
    }
    std::string url = "/" + fs::relative(path, root, ec).generic_string();
    if (ec) continue;
    file.immutable = url.rfind("/assets/", 0) == 0;
    site->files_.emplace(std::move(url), std::move(file));
  }
  return std::shared_ptr<const StaticSite>(std::move(site));
}

const StaticSite::File* StaticSite::Find(const std::string& path) const {
  auto found = files_.find(path);
  if (found != files_.end()) return &found->second;
  // A missing file is 404: anything below /assets/, and a name that ends
  // in a file type this server knows (a script must never get the HTML
  // shell). Anything else is one of the app's own routes, dots and all
  // (/modules/web.components).
  std::string_view last = std::string_view(path).substr(path.rfind('/') + 1);
  auto dot = last.rfind('.');
  bool file_like = dot != std::string_view::npos &&
                   TypeOf(last.substr(dot)) != std::string_view("application/octet-stream");
  if (path.rfind("/assets/", 0) == 0 || file_like) return nullptr;
  found = files_.find("/index.html");
  return found == files_.end() ? nullptr : &found->second;
}

Response StaticSite::Answer(const Request& req) const {
  Response res;
  res.Set("X-Content-Type-Options", "nosniff");
  res.Set("Referrer-Policy", "no-referrer");
  res.Set("X-Frame-Options", "DENY");
  res.Set("Content-Security-Policy", std::string(kSiteContentSecurityPolicy));
  const File* file = Find(req.path == "/" ? "/index.html" : req.path);
  if (!file) {
    res.status = 404;
    res.Set("Content-Type", "text/plain; charset=utf-8");
    res.Set("Cache-Control", "no-store");
    res.body = "Not Found\n";
    return res;
  }
  res.Set("Cache-Control", file->immutable ? "public, max-age=31536000, immutable" : "no-cache");
  res.Set("ETag", file->etag);
  res.Set("Vary", "Accept-Encoding");
  if (IfNoneMatch(req.Header("If-None-Match"), file->etag)) {
    res.status = 304;
    return res;
  }
  res.Set("Content-Type", file->type);
  std::string accept = req.Header("Accept-Encoding");
  if (file->brotli && AcceptsEncoding(accept, "br")) {
    res.Set("Content-Encoding", "br");
    res.shared_body = file->brotli;
  } else if (file->gzip && AcceptsEncoding(accept, "gzip")) {
    res.Set("Content-Encoding", "gzip");
    res.shared_body = file->gzip;
  } else {
    res.shared_body = file->body;
  }
  return res;
}

}  // namespace docrunch::http
