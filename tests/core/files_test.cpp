#include "core/files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "support/temp_dir.h"

namespace docrunch {
namespace {

namespace fs = std::filesystem;

TEST(WriteFileAtomic, ReplacesContentAndLeavesNoTemporary) {
  testing::TempDir dir;
  fs::path file = dir / "a.yaml";
  ASSERT_TRUE(WriteFileAtomic(file, "one\n").ok());
  ASSERT_TRUE(WriteFileAtomic(file, "two\n").ok());
  EXPECT_EQ(*ReadFileText(file), "two\n");
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) entries += e.exists();
  EXPECT_EQ(entries, 1);
}

// A new file is written without a temporary name (O_TMPFILE, then linked):
// it appears whole with the mode asked for, and nothing else is left in
// the folder; replacing it then goes through a temporary and a rename.
TEST(WriteFileAtomic, NewFileAppearsWholeWithItsModeAndNothingElse) {
  testing::TempDir dir;
  fs::path file = dir / "page.md";
  ASSERT_TRUE(WriteFileAtomic(file, "# page\n", {.mode = 0640, .durable = false}).ok());
  EXPECT_EQ(*ReadFileText(file), "# page\n");
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  ASSERT_TRUE(WriteFileAtomic(file, "# page, again\n", {.mode = 0600}).ok());
  EXPECT_EQ(*ReadFileText(file), "# page, again\n");
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"page.md"});
}

TEST(WriteFileAtomic, MissingFolderIsAnIoErrorNamingThePath) {
  testing::TempDir dir;
  auto r = WriteFileAtomic(dir / "no/such/dir/a.yaml", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_NE(r.error().message.find("no/such/dir/a.yaml"), std::string::npos);
}

TEST(ReadFileText, MissingFileIsAnIoError) {
  testing::TempDir dir;
  auto r = ReadFileText(dir / "missing");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
}

TEST(FileHolds, OnlyARegularFileWithExactlyTheContent) {
  testing::TempDir dir;
  fs::path file = dir / "a.md";
  EXPECT_FALSE(FileHolds(file, ""));  // absent
  ASSERT_TRUE(WriteFileAtomic(file, "one\n").ok());
  EXPECT_TRUE(FileHolds(file, "one\n"));
  EXPECT_FALSE(FileHolds(file, "one"));      // shorter
  EXPECT_FALSE(FileHolds(file, "one\n\n"));  // longer
  EXPECT_FALSE(FileHolds(file, "two\n"));    // same length
  ASSERT_TRUE(WriteFileAtomic(file, "").ok());
  EXPECT_TRUE(FileHolds(file, ""));
  fs::create_directories(dir / "folder");
  EXPECT_FALSE(FileHolds(dir / "folder", ""));
}

// A killed writer its parent has not reaped yet (a zombie) runs no more:
// its temporaries are abandoned, though kill(pid, 0) still finds it.
TEST(ProcessRunning, AZombieIsNotRunningAndItsTemporaryIsAbandoned) {
  EXPECT_TRUE(ProcessRunning(getpid()));
  EXPECT_FALSE(ProcessRunning(0));
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  // Not waited for yet: a zombie once it has exited.
  for (int i = 0; i < 200 && ProcessRunning(child); ++i) usleep(10'000);
  EXPECT_FALSE(ProcessRunning(child));
  testing::TempDir dir;
  const fs::path temp = dir.path() / ("page.md.tmp-" + std::to_string(child) + "-AbCdEf");
  dir.Write(temp.filename().string(), "half a page");
  const fs::path mine = dir.path() / ("page.md.tmp-" + std::to_string(getpid()) + "-AbCdEf");
  dir.Write(mine.filename().string(), "being written");
  EXPECT_TRUE(IsAbandonedTemporary(temp));
  EXPECT_FALSE(IsAbandonedTemporary(mine)) << "a live writer's temporary is kept";
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(ProcessRunning(child));
}

}  // namespace
}  // namespace docrunch
