#include "docs/doc_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "docs/markdown.h"
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

// The writer makes a page's folder once, not per page; a folder removed
// behind its back (someone tidying the docs) is made again.
TEST(DocWriter, MakesAFolderRemovedSinceItsLastPageAgain) {
  testing::TempDir dir;
  DocWriter writer(dir / "docs");
  ASSERT_TRUE(writer.Write("decisions/adr-001.md", "one\n").ok());
  std::filesystem::remove_all(dir / "docs/decisions");
  auto written = writer.Write("decisions/adr-002.md", "two\n");
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  EXPECT_TRUE(*written);
  EXPECT_EQ(dir.Read("docs/decisions/adr-002.md"), "two\n");
  // A folder that cannot be made is still an error naming it.
  { std::ofstream(dir / "docs/tasks") << "a file"; }
  auto blocked = writer.Write("tasks/task-1.md", "x");
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, ErrorCode::kIo);
}

TEST(InlineCode, NothingInTheTextBreaksTheSpan) {
  EXPECT_EQ(InlineCode("src/a.py"), "`src/a.py`");
  EXPECT_EQ(InlineCode("a`b"), "`` a`b ``");
  EXPECT_EQ(InlineCode("x``y`"), "``` x``y` ```");
  EXPECT_EQ(InlineCode("two\nlines"), "`two lines`");
  EXPECT_EQ(InlineCode("a|b"), "`a|b`");
  EXPECT_EQ(InlineCode("a|b", /*table_cell=*/true), "`a\\|b`");
}

// A docs folder belongs to one repository: claimed by the first, refused to
// another that still exists, left to the next once its owner is gone; the
// claim is relative inside the repository, so a copied project keeps it.
TEST(ClaimDocsFolder, OneRepositoryPerFolder) {
  namespace fs = std::filesystem;
  testing::TempDir dir;
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  const fs::path a = fs::canonical(dir / "a");
  const fs::path b = fs::canonical(dir / "b");
  ASSERT_TRUE(ClaimDocsFolder(a / "docs", a).ok());
  EXPECT_EQ(dir.Read("a/docs/.docrunch-repository"), "..\n");
  EXPECT_TRUE(ClaimDocsFolder(a / "docs", a).ok());
  auto refused = ClaimDocsFolder(a / "docs", b);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidParams);
  EXPECT_NE(refused.error().message.find("documents the repository " + a.string()),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(dir.Read("a/docs/.docrunch-repository"), "..\n");

  // Outside the repository: the absolute root; once that root is gone, the
  // folder goes to the next repository.
  ASSERT_TRUE(ClaimDocsFolder(dir / "shared", b).ok());
  EXPECT_EQ(dir.Read("shared/.docrunch-repository"), b.string() + "\n");
  EXPECT_FALSE(ClaimDocsFolder(dir / "shared", a).ok());
  fs::remove_all(b);
  EXPECT_TRUE(ClaimDocsFolder(dir / "shared", a).ok());
  EXPECT_EQ(dir.Read("shared/.docrunch-repository"), a.string() + "\n");

  // A copy of a project carries its folder along.
  fs::copy(a, dir / "copy", fs::copy_options::recursive);
  EXPECT_TRUE(ClaimDocsFolder(dir / "copy/docs", fs::canonical(dir / "copy")).ok());
}

TEST(ClaimDocsFolder, RefusesAFileAndAFolderOfSomeoneElsesFiles) {
  namespace fs = std::filesystem;
  testing::TempDir dir;
  const fs::path repo = fs::canonical(dir.path());
  dir.Write("notes.txt", "mine\n");
  auto file = ClaimDocsFolder(dir / "notes.txt", repo);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message.find("is not a folder"), std::string::npos);

  dir.Write("mine/functions/keep.md", "mine\n");
  auto foreign = ClaimDocsFolder(dir / "mine", repo);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("holds files Docrunch did not write"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "mine/.docrunch-repository"));
  EXPECT_EQ(dir.Read("mine/functions/keep.md"), "mine\n");
  // The repository's own root is such a folder too (`--output .`).
  EXPECT_FALSE(ClaimDocsFolder(dir.path(), repo).ok());

  // Folders of versions before the claim: an index.md Docrunch generated, or
  // only report pages.
  dir.Write("old/index.md", std::string("# x\n\n") + kGeneratedNotice + "\n");
  dir.Write("old/functions/a.md", "# a\n");
  EXPECT_TRUE(ClaimDocsFolder(dir / "old", repo).ok());
  dir.Write("reports/tasks/task-1.md", "# task\n");
  EXPECT_TRUE(ClaimDocsFolder(dir / "reports", repo).ok());
  EXPECT_TRUE(ClaimDocsFolder(dir / "empty", repo).ok());
}

}  // namespace
}  // namespace docrunch::docs
