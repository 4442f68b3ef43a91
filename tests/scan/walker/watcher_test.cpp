// Watcher tests wait for events with generous deadlines and never assume
// how fast the machine is: each test polls Next until what it expects has
// arrived (or 20 s pass), so a loaded machine makes them slower, not flaky.
#include "scan/watcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "support/temp_dir.h"

namespace docrunch::scan {
namespace {

namespace fs = std::filesystem;
using docrunch::testing::TempDir;
using namespace std::chrono_literals;

struct Seen {
  int batches = 0;
  std::set<std::string> changed, deleted, deleted_dirs;
  bool rescan = false;
  void Add(const ChangeBatch& b) {
    ++batches;
    changed.insert(b.changed.begin(), b.changed.end());
    deleted.insert(b.deleted.begin(), b.deleted.end());
    deleted_dirs.insert(b.deleted_dirs.begin(), b.deleted_dirs.end());
    rescan |= b.rescan;
  }
};

// Collects batches until `done` holds or 20 s pass.
Seen CollectUntil(Watcher& watcher, const std::function<bool(const Seen&)>& done) {
  Seen seen;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!done(seen) && std::chrono::steady_clock::now() < deadline) {
    auto batch = watcher.Next(250ms);
    EXPECT_TRUE(batch) << batch.error().ToString();
    if (batch && !batch->empty()) seen.Add(*batch);
  }
  return seen;
}

std::unique_ptr<Watcher> MakeWatcher(const TempDir& dir, WatchOptions options = {}) {
  if (options.debounce_ms == WatchOptions{}.debounce_ms) options.debounce_ms = 50;
  auto w = Watcher::Create(dir.path(), {}, options);
  EXPECT_TRUE(w) << w.error().ToString();
  return w ? std::move(*w) : nullptr;
}

TEST(Watcher, MissingRootIsInvalidParams) {
  auto w = Watcher::Create("/nonexistent/docrunch-watch", {}, {});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kInvalidParams);
}

TEST(Watcher, ReportsCreateModifyAndDelete) {
  TempDir dir;
  auto w = MakeWatcher(dir);
  ASSERT_TRUE(w);
  dir.Write("a.py", "a = 1\n");
  auto seen = CollectUntil(*w, [](const Seen& s) { return s.changed.count("a.py") > 0; });
  EXPECT_EQ(seen.changed, std::set<std::string>{"a.py"});

  dir.Write("a.py", "a = 2\n");
  seen = CollectUntil(*w, [](const Seen& s) { return s.changed.count("a.py") > 0; });
  EXPECT_EQ(seen.changed, std::set<std::string>{"a.py"});

  fs::remove(dir / "a.py");
  seen = CollectUntil(*w, [](const Seen& s) { return s.deleted.count("a.py") > 0; });
  EXPECT_EQ(seen.deleted, std::set<std::string>{"a.py"});
  EXPECT_TRUE(seen.changed.empty());
}

TEST(Watcher, NewFolderAndFilesWrittenRightAfterItAreReported) {
  TempDir dir;
  auto w = MakeWatcher(dir);
  ASSERT_TRUE(w);
  std::size_t watches = w->watch_count();
  fs::create_directories(dir / "pkg/sub");
  dir.Write("pkg/sub/x.py", "x\n");  // may land before the watch on pkg/sub exists
  dir.Write("pkg/y.py", "y\n");
  auto seen = CollectUntil(*w, [](const Seen& s) {
    return s.changed.count("pkg/sub/x.py") && s.changed.count("pkg/y.py");
  });
  EXPECT_EQ(seen.changed, (std::set<std::string>{"pkg/sub/x.py", "pkg/y.py"}));
  EXPECT_EQ(w->watch_count(), watches + 2);
  // The new folders are watched now.
  dir.Write("pkg/sub/z.py", "z\n");
  seen = CollectUntil(*w, [](const Seen& s) { return s.changed.count("pkg/sub/z.py") > 0; });
  EXPECT_EQ(seen.changed, std::set<std::string>{"pkg/sub/z.py"});
}

TEST(Watcher, SaveByRenameLooksLikeOneChangeOfTheOriginal) {
  TempDir dir;
  dir.Write("x.py", "old\n");
  WatchOptions options;
  options.include_unknown = true;  // so x.tmp is not filtered by its extension
  auto w = MakeWatcher(dir, options);
  ASSERT_TRUE(w);
  dir.Write("x.tmp", "new\n");
  fs::rename(dir / "x.tmp", dir / "x.py");
  auto seen = CollectUntil(*w, [](const Seen& s) { return s.changed.count("x.py") > 0; });
  EXPECT_EQ(seen.changed, std::set<std::string>{"x.py"});
  EXPECT_TRUE(seen.deleted.empty()) << "x.tmp lived and died within the batch";
}

TEST(Watcher, IgnoredPathsProduceNoEvents) {
  TempDir dir;
  dir.Write(".gitignore", "*.gen.py\nbuild/\n");
  auto w = MakeWatcher(dir);
  ASSERT_TRUE(w);
  std::size_t watches = w->watch_count();
  dir.Write("a.gen.py", "x\n");
  dir.Write("build/out.py", "x\n");
  dir.Write("notes.md", "x\n");  // unknown language: filtered like the walker does
  dir.Write(".git/HEAD", "x\n");
  dir.Write("sentinel.py", "x\n");  // written last: once seen, the others would have been too
  auto seen = CollectUntil(*w, [](const Seen& s) { return s.changed.count("sentinel.py") > 0; });
  EXPECT_EQ(seen.changed, std::set<std::string>{"sentinel.py"});
  EXPECT_EQ(w->watch_count(), watches) << "ignored folders are not watched";
}

TEST(Watcher, DebounceMergesABurstOfWritesIntoOneBatch) {
  TempDir dir;
  WatchOptions options;
  options.debounce_ms = 1000;  // wide: a stalled machine must not split the burst
  options.max_delay_ms = 60000;
  auto w = MakeWatcher(dir, options);
  ASSERT_TRUE(w);
  for (int i = 0; i < 50; ++i) dir.Write("burst.py", "v = " + std::to_string(i) + "\n");
  auto seen = CollectUntil(*w, [](const Seen& s) { return s.changed.count("burst.py") > 0; });
  EXPECT_EQ(seen.batches, 1);
  auto after = w->Next(1500ms);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->empty()) << "the burst must not leave a second batch";
}

TEST(Watcher, DeletedAndMovedFoldersAreReported) {
  TempDir dir;
  dir.Write("old/a.py", "x\n");
  dir.Write("gone/b.py", "x\n");
  auto w = MakeWatcher(dir);
  ASSERT_TRUE(w);
  fs::rename(dir / "old", dir / "new");
  fs::remove_all(dir / "gone");
  auto seen = CollectUntil(*w, [](const Seen& s) {
    return s.deleted_dirs.count("old") && s.deleted_dirs.count("gone") &&
           s.changed.count("new/a.py");
  });
  EXPECT_EQ(seen.deleted_dirs, (std::set<std::string>{"gone", "old"}));
  EXPECT_EQ(seen.changed, std::set<std::string>{"new/a.py"});
  // The moved folder is watched under its new name.
  dir.Write("new/c.py", "x\n");
  seen = CollectUntil(*w, [](const Seen& s) { return s.changed.count("new/c.py") > 0; });
  EXPECT_EQ(seen.changed, std::set<std::string>{"new/c.py"});
}

TEST(Watcher, ChangedGitignoreAsksForARescanAndAppliesAtOnce) {
  TempDir dir;
  auto w = MakeWatcher(dir);
  ASSERT_TRUE(w);
  dir.Write(".gitignore", "skip.py\n");
  auto seen = CollectUntil(*w, [](const Seen& s) { return s.rescan; });
  EXPECT_TRUE(seen.rescan);
  dir.Write("skip.py", "x\n");
  dir.Write("keep.py", "x\n");
  seen = CollectUntil(*w, [](const Seen& s) { return s.changed.count("keep.py") > 0; });
  EXPECT_EQ(seen.changed, std::set<std::string>{"keep.py"});
}

TEST(Watcher, StopFromAnotherThreadEndsABlockedNext) {
  TempDir dir;
  auto w = MakeWatcher(dir);
  ASSERT_TRUE(w);
  std::jthread stopper([&] {
    std::this_thread::sleep_for(100ms);
    w->Stop();
  });
  auto start = std::chrono::steady_clock::now();
  auto batch = w->Next(60s);
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->empty());
  EXPECT_TRUE(w->stopped());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

TEST(Watcher, NextTimesOutWithAnEmptyBatch) {
  TempDir dir;
  auto w = MakeWatcher(dir);
  ASSERT_TRUE(w);
  auto start = std::chrono::steady_clock::now();
  auto batch = w->Next(100ms);
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

}  // namespace
}  // namespace docrunch::scan
