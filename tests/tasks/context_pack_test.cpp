#include "tasks/context_pack.h"

#include <gtest/gtest.h>

namespace docrunch::tasks {
namespace {

using nlohmann::json;

TaskDetails SampleTask() {
  TaskDetails d;
  d.task.id = 1;
  d.task.type = "feature";
  d.task.title = "Cache parsed invoices";
  d.task.description =
      "InvoiceParser re-parses the same invoice on every call; keep the parsed result. " +
      std::string(300, 'x');
  d.task.guardrails = {"Do not change the invoice format"};
  d.task.acceptance_criteria = {"A second parse of one invoice does not read it again"};
  d.available = true;
  // Near-duplicates of one file, and distinct items of lower relevance.
  d.context.symbols = {
      {"class", "InvoiceParser", "InvoiceParser", "billing/invoice.py", 1,
       "class InvoiceParser:", "Parses invoices.", 1.0},
      {"function", "parse", "InvoiceParser.parse", "billing/invoice.py", 3,
       "def parse(self, text):", "Parses one invoice.", 0.9},
      {"function", "cached_total", "cached_total", "billing/totals.py", 8,
       "def cached_total(key):", "Totals kept in a cache.", 0.7},
  };
  d.context.files = {{"billing/invoice.py", "python", 0.8}, {"billing/totals.py", "python", 0.5}};
  d.context.decisions = {{"adr-001", "LRU cache for parsed documents", 0.65}};
  d.context.findings = {{"finding-2", "Parsing is slow", "Parsing takes 2 s per invoice.", 0.4}};
  return d;
}

std::vector<std::string> Kinds(const PackedTask& p) {
  std::vector<std::string> out;
  for (const auto& i : p.items)
    out.push_back(i.kind + ":" +
                  i.data.value("name", i.data.value("path", i.data.value("id", ""))));
  return out;
}

TEST(EstimateTokens, IsBytesOverFourRoundedUp) {
  EXPECT_EQ(EstimateTokens(""), 0);
  EXPECT_EQ(EstimateTokens("abcd"), 1);
  EXPECT_EQ(EstimateTokens("abcde"), 2);
  EXPECT_EQ(EstimateTokens("é"), 1);  // bytes, not characters
}

TEST(ParseMaxTokens, DefaultsAndRejectsWithTheFieldNamed) {
  EXPECT_EQ(*ParseMaxTokens(json()), kDefaultContextTokens);
  EXPECT_EQ(*ParseMaxTokens(std::string()), kDefaultContextTokens);
  EXPECT_EQ(*ParseMaxTokens(json(300)), 300);
  EXPECT_EQ(*ParseMaxTokens(std::string("300")), 300);
  for (const json& bad : {json(0), json(-5), json(kMaxContextTokens + 1), json(1e12), json(2.5),
                          json(true), json("300"), json(18446744073709551615ULL)}) {
    auto r = ParseMaxTokens(bad);
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
    EXPECT_EQ(r.error().message.rfind("max_tokens: must be an integer from 20 to 100000", 0), 0u)
        << r.error().message;
  }
  for (const std::string bad : {"0", "-1", "abc", "12abc", "1e3", "99999999999999999999"}) {
    auto r = ParseMaxTokens(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message.rfind("max_tokens: ", 0), 0u) << r.error().message;
  }
}

TEST(PackTask, HonoursEveryBudgetWithTheTaskFirst) {
  TaskDetails d = SampleTask();
  int previous_items = -1;
  for (int budget : {20, 50, 100, 150, 200, 300, 500, 2000, 100000}) {
    PackedTask p = PackTask(d, budget);
    EXPECT_LE(p.used_tokens, budget) << budget;
    EXPECT_EQ(p.used_tokens, EstimateTokens(p.text));
    EXPECT_EQ(p.text.rfind("task-1: Cache parsed invoices", 0), 0u) << budget << ": " << p.text;
    // A bigger budget never carries fewer items.
    EXPECT_GE(static_cast<int>(p.items.size()), previous_items) << budget;
    previous_items = static_cast<int>(p.items.size());
    EXPECT_EQ(p.candidates, 7);
  }
  EXPECT_EQ(previous_items, 7);  // everything fits in the largest
}

TEST(PackTask, CutsTheTaskItselfWhenItAloneDoesNotFit) {
  // A trailer over half the budget is not set aside: the task comes first.
  PackedTask p =
      PackTask(SampleTask(), 20, "Workflow: claim first, then report progress as you go.");
  EXPECT_TRUE(p.task_truncated);
  EXPECT_TRUE(p.items.empty());
  EXPECT_EQ(p.text.size(), 80u);  // 20 tokens of 4 bytes, to the byte
  EXPECT_EQ(p.text.substr(p.text.size() - 3), "…");
  EXPECT_EQ(p.text.find("Workflow"), std::string::npos);
  EXPECT_EQ(ToJson(p)["task_truncated"], true);
}

TEST(PackTask, TakesDistinctItemsBeforeNearDuplicates) {
  PackedTask p = PackTask(SampleTask(), 2000);
  ASSERT_EQ(p.items.size(), 7u);
  // By relevance alone the method (0.9) would come second; it repeats the
  // class's file and words, so the other file's function (0.7) comes first.
  EXPECT_EQ(Kinds(p)[0], "class:InvoiceParser");
  EXPECT_EQ(Kinds(p)[1], "function:cached_total");
  auto at = [&](const std::string& k) {
    auto kinds = Kinds(p);
    return std::find(kinds.begin(), kinds.end(), k) - kinds.begin();
  };
  EXPECT_LT(at("decision:adr-001"), at("function:InvoiceParser.parse"));
  // Relevance still leads: the most relevant item is taken first.
  EXPECT_EQ(p.items[0].relevance, 1.0);
}

TEST(PackTask, SymbolsCarrySignaturesNotBodies) {
  PackedTask p = PackTask(SampleTask(), 2000);
  EXPECT_NE(p.text.find("class InvoiceParser (billing/invoice.py:1) class InvoiceParser: — "
                        "Parses invoices."),
            std::string::npos)
      << p.text;
  json j = ToJson(p);
  EXPECT_EQ(j["items"][0], json({{"kind", "class"},
                                 {"name", "InvoiceParser"},
                                 {"path", "billing/invoice.py"},
                                 {"line", 1},
                                 {"signature", "class InvoiceParser:"},
                                 {"summary", "Parses invoices."},
                                 {"relevance", 1.0}}));
  EXPECT_EQ(j["omitted"], 0);
  EXPECT_EQ(j["estimate"], "bytes/4");
}

TEST(PackTask, TheTrailerComesLastWhenItFits) {
  const std::string trailer = "Workflow: claim_task first.";
  PackedTask p = PackTask(SampleTask(), 2000, trailer);
  EXPECT_EQ(p.text.substr(p.text.size() - trailer.size()), trailer);
  // Reserved before the context: a budget with room for the task and the
  // trailer keeps the trailer and drops items instead.
  PackedTask task_only = PackTask(SampleTask(), 2000);
  const int tight = EstimateTokens(PackTask(TaskDetails{SampleTask().task}, 2000).text) + 10;
  PackedTask small = PackTask(SampleTask(), tight, trailer);
  EXPECT_LE(small.used_tokens, tight);
  EXPECT_NE(small.text.find(trailer), std::string::npos) << small.text;
  EXPECT_LT(small.items.size(), task_only.items.size());
}

// The specialist's instructions and start_task's workflow end the prompt
// even when the task alone is longer than the budget: the task is cut
// before them.
TEST(PackTask, ALongTaskIsCutBeforeTheTrailerNotTheTrailerDropped) {
  TaskDetails d = SampleTask();
  d.task.description = std::string(20000, 'x');
  const std::string trailer = "Answer with a completion report.";
  PackedTask p = PackTask(d, 200, trailer);
  EXPECT_TRUE(p.task_truncated);
  EXPECT_LE(p.used_tokens, 200);
  EXPECT_EQ(p.text.substr(p.text.size() - trailer.size()), trailer) << p.text;
  EXPECT_NE(p.text.find("…"), std::string::npos) << "the cut is marked";
}

TEST(PackTask, NoContextGivesTheTaskAlone) {
  TaskDetails d;
  d.task.id = 4;
  d.task.type = "docs";
  d.task.title = "Write the guide";
  PackedTask p = PackTask(d, 2000);
  EXPECT_EQ(p.text, "task-4: Write the guide\ndocs, priority medium, status todo");
  EXPECT_EQ(p.candidates, 0);
}

}  // namespace
}  // namespace docrunch::tasks
