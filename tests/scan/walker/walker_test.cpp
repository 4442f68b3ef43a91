#include "scan/walker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "scan/source_file.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace docrunch::scan {
namespace {

namespace fs = std::filesystem;
using docrunch::testing::TempDir;

std::vector<std::string> Paths(const WalkResult& r) {
  std::vector<std::string> out;
  for (const auto& f : r.files) out.push_back(f.path);
  return out;
}

WalkResult Walk(const TempDir& dir, WalkOptions options = {}) {
  auto r = WalkRepository(dir.path(), options);
  EXPECT_TRUE(r) << r.error().ToString();
  return r ? *r : WalkResult{};
}

TEST(Walker, MissingRootIsInvalidParamsNamingIt) {
  auto r = WalkRepository("/nonexistent/docrunch-root");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
  EXPECT_NE(r.error().message.find("/nonexistent/docrunch-root"), std::string::npos);
}

TEST(Walker, RootThatIsAFileIsInvalidParams) {
  TempDir dir;
  dir.Write("a.py", "x = 1\n");
  auto r = WalkRepository(dir / "a.py");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
  EXPECT_NE(r.error().message.find("not a directory"), std::string::npos);
}

TEST(Walker, ReportsSourceFilesSortedWithMetadataAndHash) {
  TempDir dir;
  dir.Write("src/b.ts", "export const b = 1;\n");
  dir.Write("src/a/x.py", "print(1)\n");
  dir.Write("a.py", "import os\n");
  dir.Write("README.md", "# readme\n");
  WalkResult r = Walk(dir);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"a.py", "src/a/x.py", "src/b.ts"}));
  EXPECT_EQ(r.counts.unsupported_language, 1u);
  EXPECT_EQ(r.counts.directories, 3u);
  const WalkedFile& f = r.files[0];
  EXPECT_EQ(f.language, Language::kPython);
  EXPECT_EQ(f.size, 10u);
  EXPECT_EQ(f.content_hash, ContentHash("import os\n"));
  EXPECT_EQ(f.content_hash.size(), 32u);
  EXPECT_TRUE(f.hashed);
  struct stat st {};
  ASSERT_EQ(stat((dir / "a.py").c_str(), &st), 0);
  EXPECT_EQ(f.mtime_ns, st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
}

TEST(Walker, ContentHashIsXxh3_128InCanonicalHex) {
  // Known XXH3-128 digests (as `xxhsum -H2` prints them).
  EXPECT_EQ(ContentHash(""), "99aa06d3014798d86001c324468d497f");
  EXPECT_NE(ContentHash("a"), ContentHash("b"));
}

TEST(Walker, UnknownLanguagesOnlyWhenAskedAndLanguageFilter) {
  TempDir dir;
  dir.Write("a.py", "x\n");
  dir.Write("b.go", "package b\n");
  dir.Write("notes.md", "n\n");
  WalkOptions options;
  options.include_unknown = true;
  WalkResult all = Walk(dir, options);
  EXPECT_EQ(Paths(all), (std::vector<std::string>{"a.py", "b.go", "notes.md"}));
  EXPECT_EQ(all.files[2].language, Language::kUnknown);
  WalkOptions only_go;
  only_go.languages = {Language::kGo};
  WalkResult go = Walk(dir, only_go);
  EXPECT_EQ(Paths(go), (std::vector<std::string>{"b.go"}));
  EXPECT_EQ(go.counts.unsupported_language, 2u);
}

TEST(Walker, HonoursIgnoreFilesAndNeverEntersGit) {
  TempDir dir;
  dir.Write(".gitignore", "gen/\n*.pyc.py\n");
  dir.Write(".docrunch/ignore.yaml", "patterns: [vendor/]\n");
  dir.Write(".git/hooks/hook.py", "x\n");
  dir.Write("gen/out.py", "x\n");
  dir.Write("vendor/lib.py", "x\n");
  dir.Write("cfg.py", "x\n");
  dir.Write("a.pyc.py", "x\n");
  dir.Write("keep.py", "x\n");
  WalkOptions options;
  options.ignore.patterns = {"cfg.py"};
  WalkResult r = Walk(dir, options);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"keep.py"}));
  EXPECT_EQ(r.counts.ignored, 4u);  // gen/, vendor/, cfg.py, a.pyc.py
}

TEST(Walker, BadIgnoreYamlFailsTheWalk) {
  TempDir dir;
  dir.Write(".docrunch/ignore.yaml", "patterns:\n  - [a\n");
  auto r = WalkRepository(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConfigInvalid);
  EXPECT_NE(r.error().message.find("ignore.yaml:"), std::string::npos);
}

TEST(Walker, BinaryWithSourceExtensionIsCountedNotReported) {
  TempDir dir;
  dir.Write("blob.py", std::string("abc\0def", 7));
  dir.Write("late_nul.py", std::string(9000, 'a') + std::string(1, '\0'));
  dir.Write("ok.py", "x\n");
  WalkResult r = Walk(dir);
  // Only the first 8 KiB are probed: a later NUL is valid UTF-8 content.
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"late_nul.py", "ok.py"}));
  EXPECT_EQ(r.counts.binary_skipped, 1u);
  EXPECT_TRUE(r.errors.empty());
}

TEST(Walker, InvalidUtf8IsAnErrorAndBomIsFine) {
  TempDir dir;
  dir.Write("latin1.py", "caf\xe9\n");
  dir.Write("bom.py", "\xEF\xBB\xBFprint('h\xC3\xA9')\n");
  dir.Write("cut.py", "x = '\xE2\x82");  // truncated at the end of the file
  WalkResult r = Walk(dir);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"bom.py"}));
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].path, "cut.py");
  EXPECT_EQ(r.errors[0].code, "SCAN_INVALID_ENCODING");
  EXPECT_EQ(r.errors[1].path, "latin1.py");
  EXPECT_EQ(r.errors[1].code, "SCAN_INVALID_ENCODING");
}

TEST(Utf8, RejectsOverlongsSurrogatesAndOutOfRange) {
  EXPECT_TRUE(IsValidUtf8("plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
}

// ASCII is skipped a word at a time: a bad byte at any offset of a word,
// after any run of ASCII, is still found, and good sequences across word
// boundaries still pass.
TEST(Utf8, FindsBadBytesAtEveryOffsetAfterAsciiRuns) {
  for (std::size_t ascii = 0; ascii < 24; ++ascii) {
    std::string prefix(ascii, 'a');
    EXPECT_FALSE(IsValidUtf8(prefix + "\x80" + "bcdefghijk")) << ascii;
    EXPECT_FALSE(IsValidUtf8(prefix + "\xE2\x82")) << ascii;  // truncated at the end
    EXPECT_FALSE(IsValidUtf8(prefix + "\xC3" + "abcdefghij")) << ascii;
    EXPECT_TRUE(IsValidUtf8(prefix + "\xF0\x9F\x98\x80" + prefix + "\xC3\xA9")) << ascii;
  }
}

TEST(Walker, TooLargeFileIsAnErrorAndTheWalkGoesOn) {
  TempDir dir;
  dir.Write("big.py", std::string(1025, 'a'));
  dir.Write("limit.py", std::string(1024, 'a'));
  WalkOptions options;
  options.max_file_size_kb = 1;
  WalkResult r = Walk(dir, options);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"limit.py"}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "big.py");
  EXPECT_EQ(r.errors[0].code, "SCAN_FILE_TOO_LARGE");
}

TEST(Walker, UnchangedFilesReuseThePreviousHashWithoutReading) {
  TempDir dir;
  dir.Write("a.py", "a = 1\n");
  dir.Write("b.py", "b = 1\n");
  WalkResult first = Walk(dir);
  WalkOptions options;
  for (const auto& f : first.files) options.previous[f.path] = {f.size, f.mtime_ns, "stored"};
  // Same size, new content and a new mtime: must be read again.
  dir.Write("b.py", "b = 2\n");
  struct timespec times[2] = {{0, UTIME_OMIT}, {1'000'000'000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (dir / "b.py").c_str(), times, 0), 0);
  WalkResult second = Walk(dir, options);
  ASSERT_EQ(second.files.size(), 2u);
  EXPECT_FALSE(second.files[0].hashed);
  EXPECT_EQ(second.files[0].content_hash, "stored") << "the stored hash proves a.py was not read";
  EXPECT_TRUE(second.files[1].hashed);
  EXPECT_EQ(second.files[1].content_hash, ContentHash("b = 2\n"));
  EXPECT_EQ(second.counts.reused, 1u);
  EXPECT_EQ(second.counts.hashed, 1u);
}

TEST(Walker, FileDeletedBetweenListingAndReadingIsCountedAsVanished) {
  TempDir dir;
  for (int i = 0; i < 20; ++i) dir.Write("f" + std::to_string(i) + ".py", "x\n");
  WalkOptions options;
  options.parallel_workers = 4;
  options.before_read = [&](const std::string& path) {
    if (path == "f7.py" || path == "f13.py") fs::remove(dir / path);
  };
  WalkResult r = Walk(dir, options);
  EXPECT_EQ(r.files.size(), 18u);
  EXPECT_EQ(r.counts.vanished, 2u);
  EXPECT_TRUE(r.errors.empty());
}

TEST(Walker, FileReplacedByAFolderOrFifoDuringTheWalkDoesNotHang) {
  TempDir dir;
  dir.Write("a.py", "x\n");
  dir.Write("b.py", "x\n");
  WalkOptions options;
  options.before_read = [&](const std::string& path) {
    fs::remove(dir / path);
    if (path == "a.py") fs::create_directory(dir / path);
    if (path == "b.py") {
      ASSERT_EQ(mkfifo((dir / path).c_str(), 0644), 0);
    }
  };
  WalkResult r = Walk(dir, options);
  EXPECT_TRUE(r.files.empty());
  EXPECT_TRUE(r.errors.size() + r.counts.special_skipped + r.counts.vanished == 2);
}

TEST(Walker, SpecialFilesAreSkipped) {
  TempDir dir;
  ASSERT_EQ(mkfifo((dir / "pipe.py").c_str(), 0644), 0);
  dir.Write("a.py", "x\n");
  WalkResult r = Walk(dir);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"a.py"}));
  EXPECT_EQ(r.counts.special_skipped, 1u);
}

TEST(Walker, SymlinksInsideRootFollowedOutsideSkippedLoopsTerminate) {
  TempDir outside;
  outside.Write("secret.py", "x\n");
  TempDir dir;
  dir.Write("src/real.py", "r\n");
  fs::create_symlink("real.py", dir / "src/link.py");         // file inside: followed
  fs::create_symlink(outside / "secret.py", dir / "out.py");  // file outside: skipped
  fs::create_symlink(outside.path(), dir / "outdir");         // folder outside: skipped
  fs::create_symlink("missing.py", dir / "dangling.py");      // dangling: skipped
  fs::create_symlink("..", dir / "src/loop");                 // cycle to the root
  fs::create_symlink("src", dir / "alias");                   // second route to src/
  WalkResult r = Walk(dir);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"src/link.py", "src/real.py"}));
  EXPECT_EQ(r.files[0].content_hash, r.files[1].content_hash);
  EXPECT_EQ(r.counts.symlinks_skipped, 5u);  // out.py, outdir, dangling, loop, alias
}

TEST(Walker, SymlinkedFolderOnlyReachableThroughTheLinkIsWalked) {
  TempDir dir;
  dir.Write("data/.gitignore", "");
  dir.Write(".gitignore", "/data/\n");
  dir.Write("data/lib/m.py", "x\n");
  fs::create_symlink("data/lib", dir / "lib");
  WalkResult r = Walk(dir);
  EXPECT_EQ(Paths(r), (std::vector<std::string>{"lib/m.py"}));
}

TEST(Walker, DeepTreesDoNotOverflowTheStack) {
  TempDir dir;
  std::string rel;
  for (int i = 0; i < 600; ++i) rel += "d/";
  fs::create_directories(dir / rel);
  dir.Write(rel + "deep.py", "x\n");
  WalkResult r = Walk(dir);
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_EQ(r.files[0].path, rel + "deep.py");
  EXPECT_EQ(r.counts.directories, 601u);
}

TEST(Walker, ParallelWorkersGiveTheSameResultAsOne) {
  TempDir dir;
  for (int d = 0; d < 12; ++d) {
    for (int f = 0; f < 25; ++f) {
      std::string content(static_cast<std::size_t>(f * 97 + d), 'x');
      dir.Write("d" + std::to_string(d) + "/f" + std::to_string(f) + ".py", content);
    }
  }
  dir.Write("d3/bad.py", "\xff");
  dir.Write("d4/bin.py", std::string("\0", 1));
  WalkOptions one;
  one.parallel_workers = 1;
  WalkOptions four;
  four.parallel_workers = 4;
  WalkResult a = Walk(dir, one);
  WalkResult b = Walk(dir, four);
  ASSERT_EQ(a.files.size(), 300u);
  ASSERT_EQ(a.files.size(), b.files.size());
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    EXPECT_EQ(a.files[i].path, b.files[i].path);
    EXPECT_EQ(a.files[i].content_hash, b.files[i].content_hash);
    EXPECT_EQ(a.files[i].size, b.files[i].size);
    EXPECT_EQ(a.files[i].mtime_ns, b.files[i].mtime_ns);
  }
  ASSERT_EQ(a.errors.size(), 1u);
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].path, b.errors[0].path);
  EXPECT_EQ(a.counts.binary_skipped, 1u);
  EXPECT_EQ(b.counts.binary_skipped, 1u);
}

TEST(Walker, UnreadableFilesAndFoldersAreErrorsAndTheWalkGoesOn) {
  TempDir dir;
  dir.Write("open.py", "x\n");
  dir.Write("locked.py", "x\n");
  dir.Write("closed/inside.py", "x\n");
  chmod((dir / "locked.py").c_str(), 0);
  chmod((dir / "closed").c_str(), 0);
  std::string out;
  if (docrunch::testing::RunningAsRoot()) {
    // Root reads anything: run the walk as "nobody" to mean something.
    docrunch::testing::ProcessOptions as_nobody;
    as_nobody.unprivileged = true;
    auto run = docrunch::testing::Run({WALK_TOOL, dir.path().string(), "--files"}, as_nobody);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    out = run.out;
  } else {
    WalkResult r = Walk(dir);
    for (const auto& e : r.errors) out += "error " + e.code + " " + e.path + "\n";
    for (const auto& f : r.files) out += "file " + f.path + "\n";
  }
  EXPECT_NE(out.find("error SCAN_PERMISSION_DENIED locked.py"), std::string::npos) << out;
  EXPECT_NE(out.find("error SCAN_PERMISSION_DENIED closed"), std::string::npos) << out;
  EXPECT_NE(out.find("file open.py"), std::string::npos) << out;
}

TEST(ReadSourceFile, ReturnsContentCheckedLikeTheWalker) {
  TempDir dir;
  dir.Write("src/a.py", "print(1)\n");
  dir.Write("src/bin.py", std::string("\0", 1));
  dir.Write("src/big.py", std::string(100, 'a'));
  auto ok = ReadSourceFile(dir.path(), "src/a.py", 1024);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(*ok, "print(1)\n");
  auto bin = ReadSourceFile(dir.path(), "src/bin.py", 1024);
  ASSERT_FALSE(bin);
  EXPECT_EQ(bin.error().message.rfind("SCAN_BINARY: src/bin.py", 0), 0u);
  auto big = ReadSourceFile(dir.path(), "src/big.py", 10);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message.rfind("SCAN_FILE_TOO_LARGE", 0), 0u);
  auto gone = ReadSourceFile(dir.path(), "src/gone.py", 10);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().message.rfind("SCAN_FILE_VANISHED", 0), 0u);
}

TEST(ReadSourceFile, RefusesPathsLeavingTheRoot) {
  TempDir outside;
  outside.Write("secret.py", "x\n");
  TempDir dir;
  fs::create_symlink(outside / "secret.py", dir / "escape.py");
  for (const char* bad : {"../secret.py", "/etc/passwd", "", "a/../../x.py", "escape.py"}) {
    auto r = ReadSourceFile(dir.path(), bad, 1024);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams) << bad;
  }
}

}  // namespace
}  // namespace docrunch::scan
