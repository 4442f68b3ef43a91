#include "http/encoding.h"

#include <zlib.h>

#include <optional>

namespace docrunch::http {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

// Whether the parameters of one Accept-Encoding item refuse it (q=0).
bool Refused(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    std::string_view param = Trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? "" : params.substr(semi + 1);
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
    std::string_view q = Trim(param.substr(2));
    // q=0, q=0.0, q=0.000: refused; anything else is a preference.
    return !q.empty() && q[0] == '0' && q.find_first_not_of("0.") == std::string_view::npos;
  }
  return false;
}

}  // namespace

bool AcceptsEncoding(std::string_view header, std::string_view coding) {
  std::optional<bool> by_name, by_star;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? "" : header.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view name = Trim(item.substr(0, semi));
    bool refused = semi != std::string_view::npos && Refused(item.substr(semi + 1));
    if (EqualNoCase(name, coding)) by_name = !refused;
    if (name == "*") by_star = !refused;
  }
  if (by_name) return *by_name;
  return by_star.value_or(false);
}

std::string Gzip(std::string_view data) {
  z_stream z{};
  // 15 + 16: a gzip header and trailer; level 3 is several times faster
  // than the default for a few percent of size.
  if (deflateInit2(&z, 3, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int done = deflate(&z, Z_FINISH);
  std::size_t size = z.total_out;
  deflateEnd(&z);
  if (done != Z_STREAM_END) return "";
  out.resize(size);
  return out;
}

}  // namespace docrunch::http
