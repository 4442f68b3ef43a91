#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "../scan/scan_fixture.h"
#include "app_test_util.h"

namespace docrunch::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class ScanCommand : public ProjectTest {
 protected:
  void SetUp() override {
    WriteSampleRepository(dir_);
    Init({"--template", "minimal"});
  }

  json ScanJson(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"scan", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Docrunch(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::object();
  }

  // Writes 2,500 small Python files under bulk/ (seconds to parse and
  // store), starts a scan and sends it `signal` from a shell once its debug
  // log says it has walked them: the signal lands in the middle. The
  // shell prints "exit=N" and copies the scan's log to stderr.
  ProcessResult ScanAndSend(const std::string& signal) {
    WriteBulk();
    const std::string script =
        "DOCRUNCH_LOGGING__LEVEL=debug \"$0\" scan --quiet 2>scan.log & pid=$!\n"
        "i=0; while ! grep -q 'walked' scan.log && [ $i -lt 3000 ]; do sleep 0.01; "
        "i=$((i+1)); done\n"
        "kill -" +
        signal + " $pid; wait $pid; echo \"exit=$?\"; cat scan.log >&2\n";
    return testing::Run({"sh", "-c", script, DocrunchBinary()}, In(dir_.path()));
  }

  void WriteBulk() {
    for (int i = 0; i < 2500; ++i) {
      const std::string n = std::to_string(i);
      std::string text;
      for (int j = 0; j < 12; ++j) {
        const std::string f = "handle_" + n + "_" + std::to_string(j);
        text += "def " + f + "(request, limit):\n    \"\"\"Handle part " + std::to_string(j) +
                ".\"\"\"\n    return helper(request) + limit\n\n";
      }
      dir_.Write("bulk/part" + std::to_string(i / 100) + "/module_" + n + ".py", text);
    }
  }

  // status and error of every scan run, a line each.
  std::string Runs() {
    return testing::Run({"sqlite3", (dir_.path() / ".docrunch/docrunch.db").string(),
                         "SELECT status || ' ' || coalesce(error, '') FROM scan_runs ORDER BY id"})
        .out;
  }

  // Options to run in `folder`, whatever DOCRUNCH_CONFIG the tests run with.
  static ProcessOptions In(const fs::path& folder) {
    ProcessOptions options;
    options.cwd = folder;
    options.unset_env = {"DOCRUNCH_CONFIG"};
    return options;
  }

  // Every generated page and its content.
  std::map<std::string, std::string> Docs(const fs::path& root) {
    std::map<std::string, std::string> pages;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) pages[fs::relative(e.path(), root).string()] = ReadFile(e.path());
    }
    return pages;
  }
};

TEST_F(ScanCommand, PrintsTheSummaryAndWritesDocs) {
  ProcessResult r = Docrunch({"scan"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part :
       {"Scanned 7 files", "languages:", "python 3", "functions:", "classes:", "components:",
        "schemas:", "imports:", "relationships:", "errors:", "docs:"}) {
    EXPECT_THAT(r.out, HasSubstr(part));
  }
  for (const char* page :
       {"index.md", "architecture.md", "modules/app.md", "modules/web.components.md",
        "functions/app.md", "schemas/index.md", "patterns/index.md"}) {
    EXPECT_TRUE(fs::is_regular_file(dir_ / "docrunch-docs" / page)) << page;
  }
  std::string module = dir_.Read("docrunch-docs/modules/web.components.md");
  EXPECT_THAT(module, HasSubstr("```mermaid"));
  EXPECT_THAT(module, HasSubstr("| `Button` | default |"));
  EXPECT_THAT(dir_.Read("docrunch-docs/functions/app.md"),
              HasSubstr("Lower-case an e-mail address."));
}

// patterns/index.md: what other files depend on, base classes extended
// across files, and per language the test files, docstring coverage and
// naming style of functions.
TEST_F(ScanCommand, PatternsPageShowsDependedUponCodeBasesAndConventions) {
  dir_.Write("lib/__init__.py", "");
  dir_.Write("lib/base.py",
             "class Plugin:\n    \"\"\"Extend me.\"\"\"\n    def run_once(self):\n"
             "        \"\"\"Run.\"\"\"\n        return 1\n");
  for (const char* name : {"alpha", "beta"}) {
    dir_.Write(std::string("lib/") + name + ".py", "from lib.base import Plugin\n\nclass " +
                                                       std::string(1, name[0] - 32) +
                                                       std::string(name + 1) +
                                                       "Plugin(Plugin):\n    def runOnce(self):\n"
                                                       "        return 2\n");
  }
  dir_.Write("tests/test_base.py",
             "from lib.base import Plugin\n\ndef test_run_once():\n"
             "    assert Plugin().run_once() == 1\n");
  ProcessResult r = Docrunch({"scan"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = dir_.Read("docrunch-docs/patterns/index.md");
  EXPECT_THAT(page, HasSubstr("| `lib/base.py` | 3 | imports |"));
  EXPECT_THAT(page, HasSubstr("| `lib/base.py#Plugin` | 3 | calls, inherits |"));
  EXPECT_THAT(page, HasSubstr("## Base classes\n\n| base | subclasses in other files |\n"
                              "| --- | ---: |\n| `lib/base.py#Plugin` | 2 |\n"));
  // python: app/ (3 files, 3 functions, 1 documented) and lib/, tests/ (6
  // files; run_once documented; runOnce twice; test_run_once).
  EXPECT_THAT(page, HasSubstr("| python | 8 | 1 | 7 | 28% | snake_case 60%, camelCase 40% |"));
  EXPECT_THAT(dir_.Read("docrunch-docs/index.md"), HasSubstr("[patterns](patterns/index.md)"));
}

TEST_F(ScanCommand, DocsAreDeterministic) {
  json first = ScanJson();
  auto before = Docs(dir_ / "docrunch-docs");
  ASSERT_FALSE(before.empty());
  json again = ScanJson({"--full"});
  EXPECT_EQ(again["docs"]["pages_changed"], 0);
  EXPECT_EQ(Docs(dir_ / "docrunch-docs"), before);
  fs::remove_all(dir_ / "docrunch-docs");
  ScanJson();  // missing docs are regenerated even with nothing changed
  EXPECT_EQ(Docs(dir_ / "docrunch-docs"), before);
  // So is one missing fixed page (a page a newer Docrunch adds comes with
  // the first scan after the upgrade).
  fs::remove(dir_ / "docrunch-docs/patterns/index.md");
  EXPECT_THAT(Docrunch({"sync", "diff"}).out, HasSubstr("patterns/index.md"));
  ScanJson();
  EXPECT_EQ(Docs(dir_ / "docrunch-docs"), before);
  // And any module, functions or schema page (deleted, or never written by
  // a render that was killed).
  fs::remove(dir_ / "docrunch-docs/modules/app.md");
  fs::remove(dir_ / "docrunch-docs/functions/web.components.md");
  EXPECT_THAT(Docrunch({"sync", "diff"}).out, HasSubstr("2 code page(s)"));
  ScanJson();
  EXPECT_EQ(Docs(dir_ / "docrunch-docs"), before);
  EXPECT_THAT(Docrunch({"sync", "diff"}).out, Not(HasSubstr("code page")));
}

// `worker start` and a scan bring back code pages that went missing and
// remove what killed writers left (temporaries of dead processes).
TEST_F(ScanCommand, WorkerAndScanRepairTheDocsFolder) {
  ScanJson();
  auto before = Docs(dir_ / "docrunch-docs");
  fs::remove(dir_ / "docrunch-docs/modules/app.md");
  dir_.Write("docrunch-docs/modules/app.md.tmp-Xy12Zq", "a killed writer's");
  ProcessResult r = Docrunch({"worker", "start", "--queue", "sync", "--once"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Docs(dir_ / "docrunch-docs"), before);
  dir_.Write("docrunch-docs/functions/app.md.tmp-Ab34Cd", "another");
  ScanJson();
  EXPECT_EQ(Docs(dir_ / "docrunch-docs"), before);
}

// A target taken out of storage.sync.targets and put back gets what it
// missed in between: the next drain queues those entities again.
TEST_F(ScanCommand, ATargetPutBackCatchesUpWithWhatItMissed) {
  ScanJson();
  dir_.Write("app/models.py", dir_.Read("app/models.py") + "\nclass ZebraAudit:\n    pass\n");
  fs::remove(dir_ / "app/service.py");
  ProcessResult r = Docrunch({"--set", "storage.sync.targets=[markdown]", "scan", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ScanJson();  // both targets again, nothing changed on disk since
  json found = json::parse(Docrunch({"query", "ZebraAudit", "--format", "json"}).out);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0]["title"], "ZebraAudit");
  EXPECT_EQ(found[0]["engine"], "index");
  json gone = json::parse(Docrunch({"query", "UserService", "--format", "json"}).out);
  for (const auto& hit : gone) EXPECT_NE(hit["file_path"], "app/service.py") << hit.dump();
  EXPECT_THAT(Docrunch({"sync", "diff"}).out, HasSubstr("in sync"));
  // Caught up, nothing is queued again (the code pages' own entry has no
  // event to queue).
  ProcessResult quiet = Docrunch({"scan", "--quiet"});
  EXPECT_THAT(quiet.err, Not(HasSubstr("queued again"))) << quiet.err;
}

// A worker (or sync status) started before the first scan runs, and
// then applies that scan's events.
TEST_F(ScanCommand, SyncCommandsWorkBeforeTheFirstScan) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"worker", "start", "--queue", "sync", "--once"},
                                             {"sync", "status"},
                                             {"sync", "diff"}}) {
    ProcessResult r = Docrunch(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << " " << args[1] << ": " << r.err;
  }
  ASSERT_EQ(Docrunch({"--set", "storage.sync.enabled=false", "scan", "--quiet"}).exit_code, 0);
  ProcessResult r = Docrunch({"worker", "start", "--queue", "sync", "--once"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("applied 0,")));
  json found = json::parse(Docrunch({"query", "normalize email", "--format", "json"}).out);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0]["engine"], "index");
}

// An embedded project moved (or renamed) as a whole keeps its repository:
// its index, its decisions and its files as unchanged.
TEST_F(ScanCommand, AMovedProjectKeepsItsRepository) {
  TempDir outer;
  const fs::path before = outer / "proj";
  WriteSampleRepository(outer);  // at the top; the project is a folder below
  fs::create_directories(before);
  fs::rename(outer / "app", before / "app");
  ProcessOptions options = In(before);
  ASSERT_EQ(RunDocrunch({"init"}, options).exit_code, 0);
  ASSERT_EQ(RunDocrunch({"scan", "--quiet"}, options).exit_code, 0);
  json decision{{"title", "Adopt zebradb"},    {"context", "c"},
                {"decision", "zebradb it is"}, {"rationale", "r"},
                {"created_by", "lead"},        {"created_at", "2026-11-27T10:00:00Z"}};
  ASSERT_EQ(
      RunDocrunch({"task", "report", "decision", "--json", decision.dump()}, options).exit_code, 0);
  fs::rename(before, outer / "moved");
  options.cwd = outer / "moved";
  ProcessResult found = RunDocrunch({"query", "zebradb", "--format", "json"}, options);
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_THAT(found.out, HasSubstr("Adopt zebradb"));
  ProcessResult scan = RunDocrunch({"scan", "--json"}, options);
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_EQ(json::parse(scan.out)["files_parsed"], 0);
  EXPECT_EQ(json::parse(scan.out)["repository_id"], 1);
}

TEST_F(ScanCommand, IncrementalRescanAndDeletes) {
  json first = ScanJson();
  EXPECT_EQ(first["files_parsed"], 7);
  json second = ScanJson();
  EXPECT_EQ(second["files_parsed"], 0);
  EXPECT_EQ(second["files_unchanged"], 7);
  fs::remove(dir_ / "app/service.py");
  dir_.Write("app/extra.py", "def extra_helper():\n    return 1\n");
  json third = ScanJson();
  EXPECT_EQ(third["files_parsed"], 1);
  EXPECT_EQ(third["files_deleted"], 1);
  std::string functions = dir_.Read("docrunch-docs/functions/app.md");
  EXPECT_THAT(functions, HasSubstr("extra_helper"));
  EXPECT_THAT(functions, ::testing::Not(HasSubstr("UserService")));
}

TEST_F(ScanCommand, QueryFormats) {
  ScanJson();
  ProcessResult text = Docrunch({"query", "normalize email"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("1. [function] normalize_email  app/models.py:12"));
  ProcessResult j = Docrunch({"query", "normalize email", "--format", "json", "--limit", "2"});
  auto results = json::parse(j.out);
  ASSERT_EQ(results.size(), 2u);
  for (const char* key : {"id", "type", "title", "content", "score", "file_path", "line_number"}) {
    EXPECT_TRUE(results[0].contains(key)) << key;
  }
  EXPECT_EQ(results[0]["engine"], "index");  // the scan drained the index: it answers
  ProcessResult md = Docrunch({"query", "Button", "--format", "markdown"});
  EXPECT_THAT(md.out, HasSubstr("## 1. `Button` (component)"));
  EXPECT_THAT(Docrunch({"query", "Button", "--scope", "reports"}).out, HasSubstr("No results"));
  EXPECT_EQ(Docrunch({"query", "x", "--limit", "0"}).exit_code, 2);
  EXPECT_EQ(Docrunch({"query", "x", "--scope", "everything"}).exit_code, 2);
  ProcessResult empty = Docrunch({"query", " "});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_THAT(empty.err, HasSubstr("text must not be empty"));
}

// What the scan marks deprecated, the real binary's query says, in each
// format: a package whose __init__.py warns DeprecationWarning.
TEST_F(ScanCommand, QuerySaysWhatIsDeprecated) {
  dir_.Write("oldpkg/__init__.py",
             "import warnings\nwarnings.warn('oldpkg is deprecated', DeprecationWarning)\n");
  dir_.Write("oldpkg/zebra.py", "def zebra_stripes():\n    return 1\n");
  ScanJson();
  auto results = json::parse(Docrunch({"query", "zebra stripes", "--format", "json"}).out);
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results[0]["id"], "symbol:oldpkg/zebra.py#zebra_stripes");
  EXPECT_EQ(results[0]["deprecated"], true);
  EXPECT_THAT(Docrunch({"query", "zebra stripes"}).out,
              HasSubstr("1. [function, deprecated] zebra_stripes  oldpkg/zebra.py:1"));
  EXPECT_THAT(Docrunch({"query", "zebra stripes", "--format", "markdown"}).out,
              HasSubstr("## 1. `zebra_stripes` (function, deprecated)"));
  // Not deprecated: no mark.
  auto current = json::parse(Docrunch({"query", "normalize email", "--format", "json"}).out);
  ASSERT_FALSE(current.empty());
  EXPECT_FALSE(current[0].contains("deprecated"));
}

TEST_F(ScanCommand, QueryBeforeAnyScanSaysToScan) {
  ProcessResult r = Docrunch({"query", "anything"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("run `docrunch scan` first"));
}

TEST_F(ScanCommand, ExportGraphViews) {
  ScanJson();
  auto view = [&](const std::string& name) {
    ProcessResult r = Docrunch({"export-graph", "--view", name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  };
  json deps = view("dependencies");
  EXPECT_TRUE(std::any_of(deps["edges"].begin(), deps["edges"].end(), [](const json& e) {
    return e["source"] == "app/service.py" && e["target"] == "app/models.py";
  }));
  json structure = view("structure");
  EXPECT_TRUE(std::any_of(structure["edges"].begin(), structure["edges"].end(), [](const json& e) {
    return e["source"] == "app" && e["target"] == "app/models.py" && e["type"] == "contains";
  }));
  json components = view("components");
  EXPECT_TRUE(
      std::any_of(components["edges"].begin(), components["edges"].end(), [](const json& e) {
        return e["type"] == "uses" && e["target"] == "web/components/Button.tsx#Button";
      }));
  json database = view("database");
  EXPECT_TRUE(std::any_of(database["nodes"].begin(), database["nodes"].end(), [](const json& n) {
    return n["type"] == "field" && n["label"] == "email";
  }));
  ProcessResult out = Docrunch({"export-graph", "--output", "graph.json"});
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(json::parse(dir_.Read("graph.json"))["view"], "dependencies");
  // An earlier export is replaced; anything else is refused and kept.
  EXPECT_EQ(Docrunch({"export-graph", "--view", "structure", "--output", "graph.json"}).exit_code,
            0);
  EXPECT_EQ(json::parse(dir_.Read("graph.json"))["view"], "structure");
  const std::string models = dir_.Read("app/models.py");
  fs::create_symlink(dir_ / "graph.json", dir_ / "link.json");
  for (const char* target : {".docrunch/docrunch.db", ".docrunch/config.yaml", "app/models.py",
                             "link.json", "/dev/null"}) {
    ProcessResult refused = Docrunch({"export-graph", "--output", target});
    EXPECT_EQ(refused.exit_code, 2) << target;
    EXPECT_THAT(refused.err, HasSubstr("--output " + std::string(target))) << refused.err;
  }
  EXPECT_EQ(dir_.Read("app/models.py"), models);
  EXPECT_EQ(Docrunch({"query", "normalize email"}).exit_code, 0);  // the database is intact
  EXPECT_EQ(Docrunch({"export-graph", "--view", "galaxy"}).exit_code, 2);
}

TEST_F(ScanCommand, OfflineScanNeedsNoDatabase) {
  TempDir other;
  WriteSampleRepository(other);
  ProcessOptions options;
  options.cwd = other.path();
  ProcessResult r = RunDocrunch({"scan", "--offline"}, options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Scanned 7 files"));
  json offline = json::parse(other.Read(".docrunch/offline_files.json"));
  EXPECT_EQ(offline["files"].size(), 7u);
  EXPECT_EQ(offline["files"][0]["path"], "app/__init__.py");
  EXPECT_TRUE(offline["files"][0].contains("content_hash"));
  EXPECT_FALSE(fs::exists(other / ".docrunch/docrunch.db"));
  EXPECT_TRUE(fs::is_regular_file(other / "docrunch-docs/index.md"));
}

TEST_F(ScanCommand, BadInputIsRecordedAndTheScanGoesOn) {
  dir_.Write("bad/latin1.py", "name = '\xe9t\xe9'\n");
  dir_.Write("bad/binary.py", std::string("def x():\0\0\0 pass\n", 18));
  dir_.Write("bad/huge.py", "x = 1\n" + std::string(600 * 1024, '#') + "\n");
  std::string deep =
      "def deep():\n    return " + std::string(10000, '(') + "1" + std::string(10000, ')') + "\n";
  dir_.Write("bad/deep.py", deep);
  dir_.Write("bad/broken.py", "def ok():\n    pass\n\ndef broken(:\n");
  fs::create_directory_symlink("..", dir_ / "bad/loop");
  ProcessResult r = Docrunch({"scan", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json s = json::parse(r.out);
  std::map<std::string, std::string> codes;
  for (const auto& e : s["errors"]) codes[e["path"]] = e["code"];
  EXPECT_EQ(codes["bad/latin1.py"], "SCAN_INVALID_ENCODING");
  EXPECT_EQ(codes["bad/huge.py"], "SCAN_FILE_TOO_LARGE");
  EXPECT_EQ(codes["bad/broken.py"], "PARSE_SYNTAX_ERROR");
  EXPECT_EQ(codes.count("bad/binary.py"), 0u);  // binaries are skipped, not errors
  EXPECT_EQ(s["binary_files"], 1);              // but counted
  EXPECT_EQ(r.signal, 0);
  EXPECT_GE(s["files"].get<int>(), 9);  // the good files and deep.py were stored
  // Unreadable files (SCAN_PERMISSION_DENIED) are covered by the walker's
  // tests, which run as an unprivileged user: root reads anything.
}

// A rescan that parses nothing still reports the files that failed to
// parse when they were stored, and what the walk finds again; a fixed file
// drops out.
TEST_F(ScanCommand, ANoOpRescanStillReportsTheStoredParseErrors) {
  dir_.Write("bad/broken.py", "def ok():\n    pass\n\ndef broken(:\n");
  dir_.Write("bad/huge.py", "x = 1\n" + std::string(600 * 1024, '#') + "\n");
  auto codes = [](const json& summary) {
    std::map<std::string, std::string> out;
    for (const auto& e : summary["errors"]) out[e["path"]] = e["code"];
    return out;
  };
  json first = ScanJson();
  EXPECT_EQ(codes(first)["bad/broken.py"], "PARSE_SYNTAX_ERROR");
  json again = ScanJson();
  EXPECT_EQ(again["files_parsed"], 0);
  EXPECT_EQ(codes(again), codes(first));
  EXPECT_EQ(again["errors"].size(), first["errors"].size());
  ProcessResult text = Docrunch({"scan"});
  EXPECT_THAT(text.out, HasSubstr("errors:       " + std::to_string(first["errors"].size())));
  dir_.Write("bad/broken.py", "def ok():\n    pass\n");
  json fixed = ScanJson();
  EXPECT_EQ(fixed["files_parsed"], 1);
  EXPECT_EQ(codes(fixed).count("bad/broken.py"), 0u);
  EXPECT_EQ(codes(fixed)["bad/huge.py"], "SCAN_FILE_TOO_LARGE");
}

// The summary's time is the whole command's, and --verbose (or --json)
// says where it went.
TEST_F(ScanCommand, TheTimeIsTheWholeCommandsAndVerboseBreaksItDown) {
  const auto started = std::chrono::steady_clock::now();
  json s = ScanJson({"--full"});
  const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
  // The index and the Markdown may work side by side: the sync's own wall
  // time stands for both in the sum.
  std::int64_t sum = s["sync_ms"].get<std::int64_t>();
  std::set<std::string> names;
  for (const auto& [name, ms] : s["steps_ms"].items()) {
    names.insert(name);
    EXPECT_GE(ms.get<std::int64_t>(), 0) << name;
    if (name != "index" && name != "markdown") sum += ms.get<std::int64_t>();
  }
  EXPECT_EQ(names, (std::set<std::string>{"walk", "parse", "store", "analyze", "index", "markdown",
                                          "other"}));
  EXPECT_LE(s["steps_ms"]["index"].get<std::int64_t>(), s["sync_ms"].get<std::int64_t>());
  EXPECT_LE(s["steps_ms"]["markdown"].get<std::int64_t>(), s["sync_ms"].get<std::int64_t>());
  EXPECT_EQ(sum, s["duration_ms"].get<std::int64_t>()) << "the steps add up to the whole";
  EXPECT_LE(s["duration_ms"].get<std::int64_t>(), wall);
  // Process start-up and exit are all that is left out.
  EXPECT_GE(s["duration_ms"].get<std::int64_t>() + 500, wall);

  ProcessResult verbose = Docrunch({"scan", "--full", "--verbose"});
  ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
  EXPECT_THAT(verbose.out,
              ::testing::ContainsRegex("time: +walk [0-9]+ ms, parse [0-9]+ ms, "
                                       "store [0-9]+ ms, analyze [0-9]+ ms, index "
                                       "[0-9]+ ms, markdown [0-9]+ ms \\(side by side: "
                                       "[0-9]+ ms in all\\), other [0-9]+ ms"));
}

// Another folder is another repository: its pages go to
// docrunch-docs/repositories/<name>/, named after it, and never over the
// project's; pointing --output at the project's folder is refused before
// anything is scanned.
TEST_F(ScanCommand, AnotherFolderGetsItsOwnPagesBesideTheProjects) {
  ASSERT_EQ(Docrunch({"scan", "--quiet"}).exit_code, 0);
  auto project_pages = Docs(dir_ / "docrunch-docs");
  TempDir other;
  other.Write("lib/zebra.py", "def zebra_only():\n    pass\n");
  ProcessResult r = Docrunch({"scan", "--quiet", other.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string name = fs::canonical(other.path()).filename().string();
  const fs::path pages = dir_ / "docrunch-docs/repositories" / name;
  EXPECT_THAT(ReadFile(pages / "index.md"), HasSubstr("# " + name + "\n"));
  EXPECT_THAT(ReadFile(pages / "functions/lib.md"), HasSubstr("zebra_only"));
  auto after = Docs(dir_ / "docrunch-docs");
  for (const auto& [page, text] : project_pages) EXPECT_EQ(after[page], text) << page;

  r = Docrunch({"scan", "--output", "docrunch-docs", other.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("documents the repository"));
  EXPECT_EQ(Docs(dir_ / "docrunch-docs"), after);
}

// Another folder scanned before the project's first scan: the project's
// folder then holds only repositories/, and is still the project's.
TEST_F(ScanCommand, AnotherFolderScannedFirstLeavesTheProjectsFolderToIt) {
  TempDir other;
  other.Write("lib/zebra.py", "def zebra_only():\n    pass\n");
  ASSERT_EQ(Docrunch({"scan", "--quiet", other.path().string()}).exit_code, 0);
  ProcessResult r = Docrunch({"scan", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "docrunch-docs/modules/app.md"));
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"worker", "start", "--queue", "sync", "--once"}, {"sync", "status"}}) {
    EXPECT_EQ(Docrunch(args).exit_code, 0) << args[0];
  }
}

// --output at a folder of someone else's files (or at the repository
// itself, or at a file) is refused before the scan: its files would be
// overwritten, and a render removes the pages it no longer writes.
TEST_F(ScanCommand, OutputThatIsNotDocrunchsIsRefusedAndLosesNothing) {
  dir_.Write("mine/functions/keep.md", "my notes\n");
  dir_.Write("mine/index.md", "my index\n");
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"scan", "--output", "mine"},
                                             {"scan", "--output", "."},
                                             {"scan", "--output", "app/models.py"}}) {
    ProcessResult r = Docrunch(args);
    EXPECT_EQ(r.exit_code, 2) << args[2];
    EXPECT_THAT(r.err, HasSubstr("INVALID_PARAMS")) << args[2];
  }
  EXPECT_EQ(dir_.Read("mine/functions/keep.md"), "my notes\n");
  EXPECT_EQ(dir_.Read("mine/index.md"), "my index\n");
  EXPECT_FALSE(fs::exists(dir_ / "docrunch-docs"));
  // Nothing was scanned: the first scan that runs is run 1.
  EXPECT_EQ(ScanJson()["scan_run_id"], 1);
}

// A file or folder name that is not UTF-8 cannot be stored or shown as
// text: it is a per-file error (its name shown with U+FFFD) and skipped,
// and the scan, its JSON, later scans and the other commands go on.
TEST_F(ScanCommand, NamesThatAreNotUtf8AreSkippedWithAnError) {
  dir_.Write("bad/caf\xe9.py", "def latin_file():\n    pass\n");
  dir_.Write("caf\xe9/m.py", "def latin_dir():\n    pass\n");
  for (int run = 1; run <= 2; ++run) {
    ProcessResult r = Docrunch({"scan", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json s = json::parse(r.out);
    std::map<std::string, std::string> codes;
    for (const auto& e : s["errors"]) codes[e["path"]] = e["code"];
    EXPECT_EQ(codes["bad/caf\uFFFD.py"], "SCAN_INVALID_ENCODING") << r.out;
    EXPECT_EQ(codes["caf\uFFFD"], "SCAN_INVALID_ENCODING") << r.out;
    EXPECT_EQ(s["files"], 7) << r.out;  // the sample repository's, nothing else
  }
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"query", "latin", "--format", "json"}, {"export-graph", "--view", "structure"}}) {
    ProcessResult r = Docrunch(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    EXPECT_TRUE(json::accept(r.out)) << args[0] << ": " << r.out;
  }
}

// Folders whose page names would clash ("a b" and "a-b", a folder "_root"
// and the root, "x.y" and "x/y") get a page each, and names that would
// break Markdown (backticks, '|', line breaks) are escaped.
TEST_F(ScanCommand, EveryModuleGetsItsOwnPageAndOddNamesStayInTheirCells) {
  TempDir repo;
  repo.Write("a b/x.py", "def space_dir():\n    pass\n");
  repo.Write("a-b/x.py", "def dash_dir():\n    pass\n");
  repo.Write("_root/x.py", "def root_named():\n    pass\n");
  repo.Write("x.y/m.py", "def dotted_dir():\n    pass\n");
  repo.Write("x/y/m.py", "def nested_dir():\n    pass\n");
  repo.Write("top.py", "def real_root():\n    pass\n");
  repo.Write("odd/a`b|c.py", "def odd_name():\n    pass\n");
  ProcessResult r =
      Docrunch({"scan", "--quiet", "--output", (dir_ / "out").string(), repo.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> module_pages, function_pages;
  for (const auto& e : fs::directory_iterator(dir_ / "out/modules")) {
    module_pages.insert(e.path().filename().string());
  }
  std::string functions;
  for (const auto& e : fs::directory_iterator(dir_ / "out/functions")) {
    function_pages.insert(e.path().filename().string());
    functions += ReadFile(e.path());
  }
  EXPECT_EQ(module_pages.size(), 7u) << ::testing::PrintToString(module_pages);
  EXPECT_EQ(function_pages, module_pages);
  for (const char* name : {"space_dir", "dash_dir", "root_named", "dotted_dir", "nested_dir",
                           "real_root", "odd_name"}) {
    EXPECT_THAT(functions, HasSubstr("## `" + std::string(name) + "`")) << name;
  }
  EXPECT_TRUE(module_pages.count("a-b.md"));  // the unambiguous names are unchanged
  EXPECT_TRUE(module_pages.count("x.y.md"));  // x/y; the folder "x.y" has a hashed name
  EXPECT_TRUE(module_pages.count("_root.md"));
  std::string odd;
  for (const auto& page : module_pages) {
    if (page.rfind("odd", 0) == 0) odd = ReadFile(dir_ / "out/modules" / page);
  }
  EXPECT_THAT(odd, HasSubstr("| `` odd/a`b\\|c.py `` | python |\n"));
}

// A folder the scan cannot list (permissions, for a moment) is an error,
// not a deletion: its files keep their rows, pages and index entries, and
// the next scan that can read it finds them unchanged. Run as "nobody"
// when we are root, since root reads anything.
TEST_F(ScanCommand, AFolderItCannotListIsNotDeleted) {
  if (RunningAsRoot()) {
    ASSERT_EQ(std::system(("chown -R 65534:65534 " + dir_.path().string()).c_str()), 0);
  }
  auto scan = [&] {
    ProcessResult r = Docrunch({"scan", "--json"}, {}, true);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::object();
  };
  ASSERT_EQ(scan()["files"], 7);
  fs::permissions(dir_ / "app", fs::perms::none);
  json locked = scan();
  fs::permissions(dir_ / "app", fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
  ASSERT_EQ(locked["errors"].size(), 1u) << locked.dump();
  EXPECT_EQ(locked["errors"][0]["path"], "app");
  EXPECT_EQ(locked["errors"][0]["code"], "SCAN_PERMISSION_DENIED");
  EXPECT_EQ(locked["files_deleted"], 0);
  EXPECT_EQ(locked["files"], 7);
  EXPECT_TRUE(fs::exists(dir_ / "docrunch-docs/modules/app.md"));
  json again = scan();
  EXPECT_EQ(again["files_deleted"], 0);
  EXPECT_EQ(again["files_parsed"], 0);
  EXPECT_EQ(again["files"], 7);
}

// Events no worker has claimed yet count in each target's lag: a scan whose
// sync is off leaves every target behind until a worker applies them.
TEST_F(ScanCommand, UnclaimedEventsCountAsEveryTargetsLag) {
  ASSERT_EQ(Docrunch({"--set", "storage.sync.enabled=false", "scan", "--quiet"}).exit_code, 0);
  auto targets = [&] {
    ProcessResult r = Docrunch({"sync", "status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out)["targets"];
  };
  json before = targets();
  ASSERT_EQ(before.size(), 2u) << before.dump();
  for (const auto& t : before) EXPECT_GE(t["lag"]["scans"]["behind"].get<int>(), 7) << t.dump();
  ASSERT_EQ(Docrunch({"worker", "start", "--queue", "sync", "--once"}).exit_code, 0);
  for (const auto& t : targets()) EXPECT_EQ(t["lag"]["scans"]["behind"], 0) << t.dump();
}

TEST_F(ScanCommand, MissingRepositoryPathIsAUsageError) {
  ProcessResult r = Docrunch({"scan", "no/such/folder"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no/such/folder does not exist"));
}

// SIGTERM (or Ctrl-C) during a scan: the scan stops between two batches,
// exits 1 with INTERRUPTED, and its run is recorded as failed, not left
// running; the next scan goes on from what was stored and completes. The
// signal comes from a shell once the scan has walked its files (its debug
// log says so); 2,500 files take seconds to parse and store, the signal
// arrives within milliseconds.
TEST_F(ScanCommand, ASignalStopsTheScanAndRecordsItsRun) {
  ProcessResult stopped = ScanAndSend("TERM");
  EXPECT_THAT(stopped.out, HasSubstr("exit=1")) << stopped.err;
  EXPECT_THAT(stopped.err, HasSubstr("INTERRUPTED: scan interrupted after"));
  EXPECT_THAT(Runs(), ::testing::StartsWith("failed INTERRUPTED: scan interrupted after"));
  EXPECT_THAT(Runs(), Not(HasSubstr("running")));
  ProcessResult again = Docrunch({"scan", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  json summary = json::parse(again.out);
  EXPECT_EQ(summary["files"], 2500 + 7);  // the sample repository has 7 files
  // The files stored before the signal were kept: the next scan parses the
  // rest (all of them when the signal came before the first batch).
  std::smatch stored;
  const std::string message = stopped.err;
  ASSERT_TRUE(std::regex_search(message, stored, std::regex(R"(after (\d+) of (\d+) files)")))
      << message;
  EXPECT_EQ(std::stoi(stored[2]), 2500 + 7);
  EXPECT_EQ(summary["files_parsed"].get<int>(), 2500 + 7 - std::stoi(stored[1]));
  EXPECT_GT(summary["docs"]["pages_changed"].get<int>(), 0);
  EXPECT_THAT(Runs(), HasSubstr("\ncompleted \n"));
}

// A scan killed outright (no handler runs) leaves its run "running"; the
// next scan on this host sees that its process is gone and records it as
// failed (ABANDONED), then completes.
TEST_F(ScanCommand, AKilledScansRunIsClosedByTheNextScan) {
  ProcessResult killed = ScanAndSend("KILL");
  EXPECT_THAT(killed.out, HasSubstr("exit=137"));
  EXPECT_EQ(Runs(), "running \n");
  ProcessResult again = Docrunch({"scan", "--quiet"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(Runs(), ::testing::MatchesRegex("failed ABANDONED: [^\n]*\ncompleted \n"));
}

TEST_F(ScanCommand, WatchReindexesChanges) {
  ProcessResult result;
  std::thread watch([&] {
    result = Docrunch({"watch", "--debounce", "100", "--max-rescans", "1"});
  });
  // Wait for the initial scan, then change a file.
  for (int i = 0; i < 200 && !fs::exists(dir_ / "docrunch-docs/index.md"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  dir_.Write("app/new_module.py.tmp", "def brand_new():\n    pass\n");
  fs::rename(dir_ / "app/new_module.py.tmp", dir_ / "app/new_module.py");  // save by rename
  watch.join();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("changes: 1 parsed"));
  EXPECT_THAT(Docrunch({"query", "brand new"}).out, HasSubstr("brand_new"));
}

// The watched project moved away: watch stops with an error instead of
// scanning its old path (nothing there: every file would be removed).
TEST_F(ScanCommand, WatchStopsWhenItsFolderMoves) {
  TempDir outer;
  const fs::path project = outer / "proj";
  fs::create_directories(project);
  WriteSampleRepository(outer);
  fs::rename(outer / "app", project / "app");
  const ProcessOptions options = In(project);
  ASSERT_EQ(RunDocrunch({"init"}, options).exit_code, 0);
  ProcessResult result;
  std::thread watch([&] {
    result = RunDocrunch({"watch", "--debounce", "100", "--max-rescans", "2"}, options);
  });
  for (int i = 0; i < 200 && !fs::exists(project / "docrunch-docs/index.md"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  fs::rename(project, outer / "moved");
  outer.Write("moved/app/later.py", "def later():\n    pass\n");  // wakes the watcher
  watch.join();
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_THAT(result.err, HasSubstr("was moved or deleted"));
  EXPECT_FALSE(fs::exists(project));  // not made again
  ProcessResult files = testing::Run(
      {"sqlite3", (outer / "moved/.docrunch/docrunch.db").string(), "SELECT count(*) FROM files"});
  EXPECT_EQ(files.out, "3\n");  // app/__init__.py, models.py, service.py: none removed
}

}  // namespace
}  // namespace docrunch::testing
