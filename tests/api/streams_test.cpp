#include "api/streams.h"

#include <gtest/gtest.h>
#include <poll.h>

namespace docrunch::api {
namespace {

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

TEST(Subscriber, WakesWhenAMessageWaitsAndNotAfterTake) {
  Subscriber s(8);
  EXPECT_FALSE(Readable(s.wake_fd()));
  s.Push("one");
  s.Push("two");
  EXPECT_TRUE(Readable(s.wake_fd()));
  EXPECT_EQ(s.Take(), (std::vector<std::string>{"one", "two"}));
  EXPECT_FALSE(Readable(s.wake_fd()));
  EXPECT_TRUE(s.Take().empty());
}

TEST(Subscriber, ASlowClientsBacklogIsCoalescedIntoOneResync) {
  Subscriber s(8);
  for (int i = 0; i < 1000; ++i) s.Push("message " + std::to_string(i));
  auto taken = s.Take();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(json::parse(taken[0])["type"], "resync");
  EXPECT_EQ(s.coalesced(), 1);
  // After the resync it receives again.
  s.Push("fresh");
  EXPECT_EQ(s.Take(), (std::vector<std::string>{"fresh"}));
}

TEST(StreamHub, PublishesToTheChannelsSubscribersOnly) {
  StreamHub hub;
  auto tasks = hub.Subscribe(kTasksChannel);
  auto events = hub.Subscribe(kSyncEventsChannel);
  EXPECT_EQ(hub.subscribers(), 2u);
  hub.Publish(kTasksChannel, "task.changed", {{"id", "task-1"}});
  auto got = tasks->Take();
  ASSERT_EQ(got.size(), 1u);
  json m = json::parse(got[0]);
  EXPECT_EQ(m["type"], "task.changed");
  EXPECT_EQ(m["data"]["id"], "task-1");
  EXPECT_TRUE(m["at"].is_string());
  EXPECT_TRUE(events->Take().empty());
  hub.Unsubscribe(kTasksChannel, tasks);
  hub.Publish(kTasksChannel, "task.changed", {{"id", "task-2"}});
  EXPECT_TRUE(tasks->Take().empty());
  EXPECT_EQ(hub.subscribers(), 1u);
}

}  // namespace
}  // namespace docrunch::api
