#include "core/files.h"

#include <gtest/gtest.h>

#include <filesystem>

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

}  // namespace
}  // namespace docrunch
