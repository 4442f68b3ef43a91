#include "docs/doc_writer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.h"

namespace docrunch::docs {
namespace {

TEST(DocWriter, RefusesPathsThatCouldLeaveTheRoot) {
  for (const char* bad : {"", "/etc/passwd", "../x.md", "a/../../x.md", "tasks/./x.md", "a\\b.md",
                          "tasks/x y.md", "tasks/x\n.md", "tasks/%2e%2e.md"}) {
    auto r = DocWriter::CheckRelativePath(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
    }
  }
  EXPECT_TRUE(DocWriter::CheckRelativePath("tasks/task-42.md").ok());
  EXPECT_TRUE(DocWriter::CheckRelativePath("decisions/adr-007.md").ok());
}

TEST(DocWriter, WritesOnlyWhenContentChanges) {
  testing::TempDir dir;
  DocWriter writer(dir / "docs");
  EXPECT_TRUE(*writer.Write("modules/a.md", "one\n"));
  auto mtime = std::filesystem::last_write_time(dir / "docs/modules/a.md");
  EXPECT_FALSE(*writer.Write("modules/a.md", "one\n"));
  EXPECT_EQ(std::filesystem::last_write_time(dir / "docs/modules/a.md"), mtime);
  EXPECT_TRUE(*writer.Write("modules/a.md", "two\n"));
  EXPECT_EQ(dir.Read("docs/modules/a.md"), "two\n");
  EXPECT_TRUE(writer.Remove("modules/a.md").ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "docs/modules/a.md"));
  EXPECT_FALSE(writer.Write("../escape.md", "x").ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "escape.md"));
}

}  // namespace
}  // namespace docrunch::docs
