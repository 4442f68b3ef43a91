// The configuration schema, declared once as code.
//
// VisitConfig walks every key of Config with a SchemaVisitor. Loading
// (YAML -> structs with checks), `config show` (structs -> text/JSON) and
// `config set` (which keys exist) are all visitors, so a key added to the
// schema is loaded, validated, shown and settable without further edits.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace docrunch::config {

// How a string value is checked.
struct StringRule {
  enum class Kind {
    kAny,
    kNonEmpty,
    kUrl,         // scheme://host[:port][/path], scheme in `schemes`, no password
    kHostPort,    // host:port
    kEnvName,     // name of an environment variable: [A-Z_][A-Z0-9_]*
    kCron,        // five-field cron expression or @hourly/@daily/...
    kHost,        // a hostname or IP address to listen on
    kUrlPath,     // "/api": starts with '/'
    kPath,        // a filesystem path, no NUL
    kIdentifier,  // [a-z0-9_.-]+, used in names that reach files or queues
    kLogLevel,
    kJsonObject,  // JSON text of an object: '{"title": "nightly"}'
  };
  Kind kind = Kind::kAny;
  std::vector<std::string> schemes;  // for kUrl
  std::vector<std::string> one_of;   // for lists of enumerated strings
};

struct IntRange {
  long long min;
  long long max;
};

struct RealRange {
  double min;
  double max;
};

struct DurationRange {
  std::chrono::milliseconds min;
  std::chrono::milliseconds max;
};

class SchemaVisitor {
 public:
  virtual ~SchemaVisitor() = default;
  virtual void Bool(std::string_view key, bool& value) = 0;
  virtual void Int(std::string_view key, int& value, IntRange range) = 0;
  virtual void Real(std::string_view key, double& value, RealRange range) = 0;
  virtual void String(std::string_view key, std::string& value, const StringRule& rule) = 0;
  virtual void Time(std::string_view key, Duration& value, DurationRange range) = 0;
  virtual void StringList(std::string_view key, std::vector<std::string>& value,
                          const StringRule& rule) = 0;
  virtual void IntList(std::string_view key, std::vector<int>& value, IntRange range) = 0;
  // An enumeration: `index` into `names`.
  virtual void Choice(std::string_view key, int& index,
                      std::span<const std::string_view> names) = 0;
  virtual void Section(std::string_view key, const std::function<void(SchemaVisitor&)>& body) = 0;
  // A list of sections. `resize` sets the element count; `body` visits one.
  virtual void SectionList(std::string_view key, std::size_t size,
                           const std::function<void(std::size_t)>& resize,
                           const std::function<void(std::size_t, SchemaVisitor&)>& body) = 0;
  // A mapping of user-chosen names to sections.
  virtual void SectionMap(std::string_view key, std::vector<std::string> names,
                          const std::function<void(const std::string&)>& add,
                          const std::function<void(const std::string&, SchemaVisitor&)>& body) = 0;
};

void VisitConfig(SchemaVisitor& visitor, Config& config);

// Names of enumerations, in declaration order.
std::string_view StorageBackendName(StorageBackend value);
std::string_view McpTransportName(McpTransport value);
std::string_view SecurityModeName(SecurityMode value);
std::string_view RoleName(Role value);

// The job types a schedule may name (jobs.schedules[].job): the table of
// jobs/job_types.cpp, which the config cannot link; tests/jobs checks that
// the two agree.
const std::vector<std::string>& JobTypeNames();

// Keys whose literal values would be secrets; they must be `<key>_env`.
bool LooksLikeSecretKey(std::string_view key);

}  // namespace docrunch::config
