// Text helpers of the parser: UTF-8 repair, callee names, comment and docstring cleaning.
#include "scan/parser/utf8.h"

#include <gtest/gtest.h>

#include "scan/parser/syntax.h"

namespace docrunch::scan {
namespace {

constexpr const char* kFffd = "\xEF\xBF\xBD";

TEST(ParserUtf8, KeepsValidTextUnchanged) {
  EXPECT_EQ(ValidUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(ValidUtf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(ParserUtf8, ReplacesEachMaximalInvalidSubpart) {
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b"),
            std::string("a") + kFffd + "b");
  EXPECT_EQ(ValidUtf8("\xE2\x82"), kFffd);  // truncated
  EXPECT_EQ(ValidUtf8("\xE2\x82x"), std::string(kFffd) + "x");
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), std::string(kFffd) + kFffd);              // overlong
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), std::string(kFffd) + kFffd + kFffd);  // surrogate
  EXPECT_EQ(ValidUtf8("\xF4\x90\x80\x80"), std::string(kFffd) + kFffd + kFffd + kFffd);
  EXPECT_EQ(ValidUtf8(std::string_view("\0x", 2)), std::string_view("\0x", 2));
}

TEST(ParserSyntax, CalleeNameDropsArgumentsAndWhitespace) {
  EXPECT_EQ(syntax::CalleeName("foo"), "foo");
  EXPECT_EQ(syntax::CalleeName("a.b(x, \")\").c"), "a.b().c");
  EXPECT_EQ(syntax::CalleeName("promise\n  .then(f)\n  .catch"), "promise.then().catch");
  EXPECT_EQ(syntax::CalleeName("(function () {})"), "");
  EXPECT_EQ(syntax::CalleeName("'literal'.toUpperCase"), "");
}

TEST(ParserSyntax, CleanCommentStripsMarkersAndGutters) {
  EXPECT_EQ(syntax::CleanComment("/**\n * Adds two.\n *\n * @param a first\n */"),
            "Adds two.\n\n@param a first");
  EXPECT_EQ(syntax::CleanComment("/// One line."), "One line.");
  EXPECT_EQ(syntax::CleanComment("#   indented"), "indented");
  EXPECT_EQ(syntax::CleanComment("/* a */"), "a");
}

TEST(ParserSyntax, CleanDocDedentsLikeInspectCleandoc) {
  EXPECT_EQ(syntax::CleanDoc("Summary.\n\n    Details\n      more\n    "),
            "Summary.\n\nDetails\n  more");
  EXPECT_EQ(syntax::CleanDoc("\n    Only body.\n    "), "Only body.");
}

}  // namespace
}  // namespace docrunch::scan
