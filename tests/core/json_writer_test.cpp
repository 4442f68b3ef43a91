#include "core/json_writer.h"

#include <gtest/gtest.h>

#include <limits>

namespace docrunch {
namespace {

using json = nlohmann::json;

std::string Dump(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The same text as nlohmann's dump() for every kind of value but doubles.
TEST(JsonWriter, WritesWhatDumpWrites) {
  std::vector<json> values = {
      nullptr,
      true,
      false,
      0,
      -1,
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::int64_t>::max(),
      std::numeric_limits<std::uint64_t>::max(),
      "",
      "plain",
      "quote \" backslash \\ slash /",
      "tab\tnew\nline\rcr\bback\fform",
      std::string("nul\0and\x01\x1f\x7f", 11),
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      json::array(),
      json::object(),
      json{{"b", 1}, {"a", json::array({1, "x", nullptr, json::object({{"k", false}})})}},
      json{{"key \"quoted\"\n", "value"}},
  };
  for (const auto& v : values) EXPECT_EQ(WriteJson(v), Dump(v)) << Dump(v);
}

TEST(JsonWriter, InvalidUtf8BecomesTheReplacementCharacterAsDumpDoes) {
  for (std::string bad : {std::string("a\xff" "b"), std::string("\xc3"), std::string("\xc0\xaf"),
                          std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"),
                          std::string("ok \xe2\x82")}) {
    json v = bad;
    std::string written = WriteJson(v);
    EXPECT_TRUE(json::accept(written)) << written;
    EXPECT_EQ(written, Dump(v)) << "for bytes of length " << bad.size();
  }
}

// Doubles: the shortest text that reads back the same value; JSON has one
// number type, so the text may differ from dump() only in spelling.
TEST(JsonWriter, DoublesReadBackExactly) {
  for (double d : {0.0, -0.0, 0.1, 2.0, -3.5, 1e300, 1e-7, 123456789.125, 1.0 / 3,
                   std::numeric_limits<double>::max(), std::numeric_limits<double>::min()}) {
    std::string written = WriteJson(json(d));
    json back = json::parse(written);
    EXPECT_TRUE(back.is_number_float()) << written;
    EXPECT_EQ(back.get<double>(), d) << written;
  }
  EXPECT_EQ(WriteJson(json(2.0)), "2.0");
  EXPECT_EQ(WriteJson(json(std::numeric_limits<double>::quiet_NaN())), "null");
  EXPECT_EQ(WriteJson(json(std::numeric_limits<double>::infinity())), "null");
}

}  // namespace
}  // namespace docrunch
