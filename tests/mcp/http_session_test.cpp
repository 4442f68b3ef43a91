// How one Streamable HTTP session routes messages to its SSE streams:
// unsolicited messages to one stream only, Last-Event-ID resumption of one
// stream, POST streams that end after their response, idle accounting, and
// the notification that arrives after the session is gone.
#include <gtest/gtest.h>

#include "mcp/transport/http_session.h"

namespace docrunch::mcp {
namespace {

using namespace std::chrono_literals;

class McpHttpSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_.listed_resources = [] { return std::vector<ListedResource>{}; };
    server_ = std::make_shared<McpServer>(catalog_, Identity{}, ServerOptions{});
    json init{{"jsonrpc", "2.0"},
              {"id", 1},
              {"method", "initialize"},
              {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()}}}};
    server_->session().Handle(init, [](const json&) {});
    session_ = HttpSession::Create("s", Identity{}, server_);
  }

  // What Next() gives a cursor within a short wait.
  std::vector<SseEvent> Poll(StreamCursor& cursor, StreamState expect = StreamState::kEvents) {
    std::vector<SseEvent> out;
    EXPECT_EQ(session_->Next(cursor, 50ms, stop_, out), expect);
    return out;
  }
  static json Note(int n) { return MakeNotification("test/note", {{"n", n}}); }
  static int N(const SseEvent& e) { return json::parse(e.data)["params"]["n"]; }

  Catalog catalog_;
  std::shared_ptr<McpServer> server_;
  std::shared_ptr<HttpSession> session_;
  std::atomic<bool> stop_{false};
};

TEST_F(McpHttpSessionTest, EventIdsNameTheStreamAndTheSequence) {
  auto p = ParseEventId("12-7");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->stream, 12);
  EXPECT_EQ(p->seq, 7);
  for (const char* bad : {"", "7", "-7", "7-", "a-1", "1-b", "0-1", "1-2-3", "1-2x"}) {
    EXPECT_FALSE(ParseEventId(bad)) << bad;
  }
}

TEST_F(McpHttpSessionTest, AnUnsolicitedMessageGoesToOneStreamOnlyTheNewestRead) {
  StreamCursor a = session_->OpenStream(true);
  StreamCursor b = session_->OpenStream(true);
  session_->Unsolicited(Note(1));
  auto on_b = Poll(b);
  ASSERT_EQ(on_b.size(), 1u);
  EXPECT_EQ(N(on_b[0]), 1);
  EXPECT_EQ(on_b[0].id, std::to_string(b.stream) + "-1");
  Poll(a, StreamState::kIdle);
  // B's reader leaves: A is the one still read.
  session_->Release(b);
  session_->Unsolicited(Note(2));
  auto on_a = Poll(a);
  ASSERT_EQ(on_a.size(), 1u);
  EXPECT_EQ(N(on_a[0]), 2);
}

TEST_F(McpHttpSessionTest, MessagesBeforeAnyStreamWaitForTheFirstOne) {
  session_->Unsolicited(Note(1));
  session_->Unsolicited(Note(2));
  StreamCursor a = session_->OpenStream(true);
  auto events = Poll(a);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(N(events[0]), 1);
  EXPECT_EQ(N(events[1]), 2);
}

TEST_F(McpHttpSessionTest, ResumingReplaysOnlyThatStreamAfterTheGivenId) {
  StreamCursor a = session_->OpenStream(true);
  session_->Unsolicited(Note(1));
  session_->Unsolicited(Note(2));
  session_->Unsolicited(Note(3));
  auto seen = Poll(a);
  ASSERT_EQ(seen.size(), 3u);
  StreamCursor b = session_->OpenStream(true);
  session_->Unsolicited(Note(4));  // to B, the newest stream being read
  auto from = ParseEventId(seen[0].id);
  ASSERT_TRUE(from);
  auto resumed = session_->ResumeStream(*from);
  ASSERT_TRUE(resumed);
  auto replay = Poll(*resumed);
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay[0].id, seen[1].id);
  EXPECT_EQ(replay[1].id, seen[2].id);
  // The old reader of A was superseded; B still has its own message.
  Poll(a, StreamState::kEnded);
  auto on_b = Poll(b);
  ASSERT_EQ(on_b.size(), 1u);
  EXPECT_EQ(N(on_b[0]), 4);
  EXPECT_FALSE(session_->ResumeStream({999, 0}));
}

TEST_F(McpHttpSessionTest, APostStreamEndsAfterItsResponseAndCanBeResumedUntilThen) {
  StreamCursor post = session_->OpenStream(false);
  auto first = session_->Append(post, Note(1));
  ASSERT_TRUE(first);  // the POST still reads its stream: it writes this itself
  // The client lost the POST connection and resumes with GET.
  auto resumed = session_->ResumeStream(*ParseEventId(first->id));
  ASSERT_TRUE(resumed);
  EXPECT_FALSE(session_->Append(post, MakeResponse(7, json::object())));  // now the GET's
  session_->FinishStream(post);
  auto rest = Poll(*resumed);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(json::parse(rest[0].data)["id"], 7);
  Poll(*resumed, StreamState::kEnded);
  // Unsolicited messages never go to a POST stream.
  session_->Unsolicited(Note(2));
  StreamCursor standalone = session_->OpenStream(true);
  EXPECT_EQ(Poll(standalone).size(), 1u);
}

TEST_F(McpHttpSessionTest, IdleOnlyWithoutRequestsOrReadersForTheLimit) {
  auto later = HttpSession::Clock::now() + 1h;
  EXPECT_FALSE(session_->IdleFor(HttpSession::Clock::now(), 1h));
  EXPECT_TRUE(session_->IdleFor(later, 1min));
  {
    HttpSession::Busy busy(*session_);
    EXPECT_FALSE(session_->IdleFor(later, 1min));
  }
  StreamCursor a = session_->OpenStream(true);
  EXPECT_FALSE(session_->IdleFor(later, 1min));
  session_->Release(a);
  EXPECT_TRUE(session_->IdleFor(later, 1min));
}

TEST_F(McpHttpSessionTest, ClosingEndsReadersAndDropsLaterMessages) {
  StreamCursor a = session_->OpenStream(true);
  session_->Close();
  Poll(a, StreamState::kEnded);
  session_->Unsolicited(Note(1));
  EXPECT_FALSE(session_->ResumeStream({a.stream, 0}));
}

// Regression: a resource change could reach an HTTP session that DELETE or
// expiry had just freed. The server's sink holds the session weakly, so a
// notification after the session is gone is dropped.
TEST_F(McpHttpSessionTest, ANotificationAfterTheSessionIsGoneIsDropped) {
  std::weak_ptr<HttpSession> weak = session_;
  session_->Close();
  session_.reset();
  EXPECT_TRUE(weak.expired());
  server_->ResourcesChanged({"docs://tasks/available"}, /*list_changed=*/true);
  server_->session().Notify("test/note", json::object());
  SUCCEED();
}

}  // namespace
}  // namespace docrunch::mcp
