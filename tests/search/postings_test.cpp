#include "search/postings.h"

#include <gtest/gtest.h>

namespace docrunch::search {
namespace {

TEST(Postings, RoundTripIdsAndWeightsExactly) {
  std::vector<Posting> postings{{1, 3.0}, {2, 0.5}, {40, 6.5}, {9000000000LL, 0.1}};
  std::string text = EncodePostings(postings);
  EXPECT_EQ(text, "1 3 1 0.5 38 6.5 8999999960 0.1 ");
  std::vector<Posting> back;
  ASSERT_TRUE(DecodePostings(text, back));
  ASSERT_EQ(back.size(), postings.size());
  for (std::size_t i = 0; i < postings.size(); ++i) {
    EXPECT_EQ(back[i].doc_id, postings[i].doc_id);
    EXPECT_EQ(back[i].weight, postings[i].weight);
  }
  back.clear();
  EXPECT_TRUE(DecodePostings("", back));
  EXPECT_TRUE(back.empty());
}

TEST(Postings, MalformedTextIsRefused) {
  for (const char* bad : {"x", "1", "1 ", "1 2", "1 2 3", "0 1 ", "-1 1 ", "1 2 1 abc ", "1  2 "}) {
    std::vector<Posting> out;
    EXPECT_FALSE(DecodePostings(bad, out)) << '"' << bad << '"';
  }
}

TEST(SegmentPostings, TermsComeSortedWithTheirPostingsInIdOrder) {
  SegmentPostings segment;
  segment.Add("parse", 7, 3);
  segment.Add("email", 5, 1);
  segment.Add("parse", 2, 1.5);
  EXPECT_EQ(segment.size(), 3u);
  EXPECT_EQ(segment.terms(), 2u);
  std::vector<std::pair<std::string, std::string>> seen;
  segment.ForEachTerm(
      [&](const std::string& term, std::string text) { seen.emplace_back(term, std::move(text)); });
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{{"email", "5 1 "},
                                                                    {"parse", "2 1.5 5 3 "}}));
  segment.Clear();
  EXPECT_EQ(segment.size(), 0u);
  EXPECT_EQ(segment.terms(), 0u);
}

}  // namespace
}  // namespace docrunch::search
