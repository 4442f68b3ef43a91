// The protocol core and the server features over an in-memory transport:
// lifecycle, version negotiation, errors, batches, cancellation, progress,
// logging, pagination, completion, roles and argument checks.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/json_schema.h"
#include "linked_transport.h"
#include "mcp/server/mcp_server.h"

namespace docrunch::mcp {
namespace {

using testing::LinkedClient;

ToolSpec EchoTool(std::string name, Access access) {
  return ToolSpec{name,
                  "Echo",
                  "Echoes its text",
                  json{{"type", "object"},
                       {"properties",
                        {{"text", {{"type", "string"}, {"maxLength", 10}}},
                         {"count", {{"type", "integer"}, {"minimum", 0}, {"maximum", 5}}}}},
                       {"required", {"text"}},
                       {"additionalProperties", false}},
                  json{{"type", "object"},
                       {"properties", {{"text", {{"type", "string"}}}}},
                       {"required", {"text"}}},
                  {.read_only = access == Access::kQuery, .destructive = false, .idempotent = true},
                  access,
                  [](ToolCall& call) {
                    ToolResult r;
                    r.structured = {{"text", call.arguments["text"]}};
                    r.text = call.arguments["text"];
                    return r;
                  }};
}

class ProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_.tools.push_back(EchoTool("echo", Access::kQuery));
    catalog_.tools.push_back(EchoTool("write_echo", Access::kReport));
    catalog_.tools.push_back(EchoTool("admin_echo", Access::kAdmin));
    catalog_.tools.push_back(ToolSpec{"slow",
                                      "Slow",
                                      "Waits to be cancelled",
                                      json{{"type", "object"}},
                                      json(),
                                      {},
                                      Access::kQuery,
                                      [this](ToolCall& call) {
                                        call.rpc.Progress(1, 3, "started");
                                        slow_started_ = true;
                                        for (int i = 0; i < 500 && !call.rpc.Cancelled(); ++i) {
                                          std::this_thread::sleep_for(
                                              std::chrono::milliseconds(10));
                                        }
                                        slow_saw_cancel_ = call.rpc.Cancelled();
                                        return ToolResult{{{"done", true}}, "done", std::nullopt};
                                      }});
    catalog_.prompts.push_back(PromptSpec{
        "start_task",
        "Start",
        "Start a task",
        {{"task_id", "Task", true,
          [](const std::string& prefix) {
            std::vector<std::string> out;
            for (std::string id : {"task-1", "task-12", "task-2"}) {
              if (id.rfind(prefix, 0) == 0) out.push_back(id);
            }
            return out;
          }}},
        [](const std::map<std::string, std::string>& args) -> PromptOutcome {
          return json{
              {"messages",
               json::array({{{"role", "user"},
                             {"content", {{"type", "text"}, {"text", args.at("task_id")}}}}})}};
        }});
    for (int i = 0; i < 5; ++i) {
      catalog_.resources.push_back(
          ResourceSpec{"docs://r" + std::to_string(i), "r" + std::to_string(i), "R", "",
                       "text/markdown", [](const std::string& uri) -> ResourceOutcome {
                         return ResourceContent{uri, "text/markdown", "# " + uri};
                       }});
    }
  }

  std::unique_ptr<McpServer> MakeServer(config::Role role, std::size_t page_size = 50) {
    ServerOptions options;
    options.page_size = page_size;
    return std::make_unique<McpServer>(catalog_, Identity{"agent-1", role, true}, options);
  }

  Catalog catalog_;
  std::atomic<bool> slow_started_{false};
  std::atomic<bool> slow_saw_cancel_{false};
};

TEST_F(ProtocolTest, NegotiatesEachSupportedVersionAndOffersLatestOtherwise) {
  for (const std::string version : {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}) {
    auto server = MakeServer(config::Role::kAgent);
    LinkedClient client(server->session());
    json r = client.Initialize(version);
    EXPECT_EQ(r["result"]["protocolVersion"], version);
    EXPECT_EQ(r["result"]["serverInfo"]["name"], "docrunch");
    EXPECT_TRUE(r["result"]["capabilities"].contains("tools"));
    EXPECT_TRUE(r["result"]["capabilities"]["resources"]["subscribe"].get<bool>());
  }
  auto server = MakeServer(config::Role::kAgent);
  LinkedClient client(server->session());
  EXPECT_EQ(client.Initialize("1999-01-01")["result"]["protocolVersion"], "2025-11-25");
}

TEST_F(ProtocolTest, RefusesRequestsBeforeInitializeButAnswersPing) {
  auto server = MakeServer(config::Role::kAgent);
  LinkedClient client(server->session());
  EXPECT_EQ(client.Request("tools/list")["error"]["code"], rpc::kInvalidRequest);
  EXPECT_TRUE(client.Request("ping")["result"].is_object());
  client.Initialize();
  EXPECT_TRUE(client.Request("tools/list")["result"]["tools"].is_array());
}

TEST_F(ProtocolTest, AnswersBadInputWithTheRightErrors) {
  auto server = MakeServer(config::Role::kAgent);
  LinkedClient client(server->session());
  client.Initialize();
  auto parse = client.SendText("{not json");
  ASSERT_EQ(parse.size(), 1u);
  EXPECT_EQ(parse[0]["error"]["code"], rpc::kParseError);
  EXPECT_TRUE(parse[0]["id"].is_null());
  auto version = client.SendText(R"({"jsonrpc":"1.0","id":7,"method":"ping"})");
  EXPECT_EQ(version[0]["error"]["code"], rpc::kInvalidRequest);
  EXPECT_EQ(version[0]["id"], 7);
  EXPECT_NE(version[0]["error"]["message"].get<std::string>().find("jsonrpc"), std::string::npos);
  EXPECT_EQ(client.Request("no/such/method")["error"]["code"], rpc::kMethodNotFound);
  auto bad_params = client.SendText(R"({"jsonrpc":"2.0","id":8,"method":"ping","params":3})");
  EXPECT_EQ(bad_params[0]["error"]["code"], rpc::kInvalidRequest);
  json level = client.Request("logging/setLevel", {{"level", "loud"}});
  EXPECT_EQ(level["error"]["code"], rpc::kInvalidParams);
  EXPECT_NE(level["error"]["message"].get<std::string>().find("level"), std::string::npos);
  json no_name = client.Request("tools/call", {{"arguments", json::object()}});
  EXPECT_EQ(no_name["error"]["code"], rpc::kInvalidParams);
  EXPECT_NE(no_name["error"]["message"].get<std::string>().find("name"), std::string::npos);
  EXPECT_EQ(client.Request("tools/call", {{"name", "nope"}})["error"]["code"], rpc::kInvalidParams);
  // Nesting is limited (a value nested 70,000 deep overflowed the stack);
  // brackets inside strings do not count.
  const std::string deep = R"({"jsonrpc":"2.0","id":9,"method":"ping","params":{"a":)" +
                           std::string(70000, '[') + std::string(70000, ']') + "}}";
  auto nested = client.SendText(deep);
  ASSERT_EQ(nested.size(), 1u);
  EXPECT_EQ(nested[0]["error"]["code"], rpc::kInvalidRequest);
  EXPECT_NE(nested[0]["error"]["message"].get<std::string>().find("nested deeper than 64"),
            std::string::npos);
  const std::string allowed =
      R"({"jsonrpc":"2.0","id":10,"method":"ping","params":{"a":)" + std::string(62, '[') +
      std::string(62, ']') +
      R"(,"s":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"[["}})";
  auto fine = client.SendText(allowed);
  ASSERT_EQ(fine.size(), 1u);
  EXPECT_TRUE(fine[0]["result"].is_object()) << fine[0].dump();
  // A notification never gets an answer, even an unknown one.
  EXPECT_TRUE(client.SendText(R"({"jsonrpc":"2.0","method":"notifications/whatever"})").empty());
}

TEST_F(ProtocolTest, BatchesOnlyWithProtocol20250326) {
  const std::string batch =
      R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},)"
      R"({"jsonrpc":"2.0","id":2,"method":"tools/list"}])";
  auto modern = MakeServer(config::Role::kAgent);
  LinkedClient a(modern->session());
  a.Initialize("2025-06-18");
  auto refused = a.SendText(batch);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0]["error"]["code"], rpc::kInvalidRequest);

  auto old = MakeServer(config::Role::kAgent);
  LinkedClient b(old->session());
  b.Initialize("2025-03-26");
  auto answered = b.SendText(batch);
  ASSERT_EQ(answered.size(), 1u);
  ASSERT_TRUE(answered[0].is_array());
  ASSERT_EQ(answered[0].size(), 2u);  // the notification gets no answer
  EXPECT_EQ(answered[0][0]["id"], 1);
  EXPECT_EQ(answered[0][1]["id"], 2);
}

TEST_F(ProtocolTest, CancellationStopsTheCallAndDropsItsAnswer) {
  auto server = MakeServer(config::Role::kAgent);
  LinkedClient client(server->session());
  client.Initialize();
  std::vector<json> replies;
  std::thread call([&] {
    replies = client.SendText(
        MakeRequest(99, "tools/call", {{"name", "slow"}, {"_meta", {{"progressToken", "p1"}}}})
            .dump());
  });
  while (!slow_started_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  client.Notify("notifications/cancelled", {{"requestId", 99}, {"reason", "user"}});
  call.join();
  EXPECT_TRUE(slow_saw_cancel_);
  ASSERT_EQ(replies.size(), 1u);  // the progress notification only; no response
  EXPECT_EQ(replies[0]["method"], "notifications/progress");
  EXPECT_EQ(replies[0]["params"]["progressToken"], "p1");
  EXPECT_EQ(replies[0]["params"]["total"], 3);
}

TEST_F(ProtocolTest, LogNotificationsFollowTheClientsLevel) {
  auto server = MakeServer(config::Role::kAgent);
  LinkedClient client(server->session());
  client.Initialize();
  server->session().Log("info", "test", "hidden at the default level");
  EXPECT_TRUE(client.Unsolicited().empty());
  EXPECT_TRUE(client.Request("logging/setLevel", {{"level", "debug"}})["result"].is_object());
  server->session().Log("info", "test", "now visible");
  auto seen = client.Unsolicited();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["method"], "notifications/message");
  EXPECT_EQ(seen[0]["params"]["data"], "now visible");
}

TEST_F(ProtocolTest, PaginatesListsWithOpaqueCursors) {
  auto server = MakeServer(config::Role::kAgent, 2);
  LinkedClient client(server->session());
  client.Initialize();
  std::vector<std::string> uris;
  json params = json::object();
  for (int pages = 0; pages < 10; ++pages) {
    json r = client.Request("resources/list", params)["result"];
    for (const auto& res : r["resources"]) uris.push_back(res["uri"]);
    if (!r.contains("nextCursor")) break;
    params["cursor"] = r["nextCursor"];
  }
  EXPECT_EQ(uris.size(), 5u);
  EXPECT_EQ(uris.front(), "docs://r0");
  EXPECT_EQ(uris.back(), "docs://r4");
  json bad = client.Request("resources/list", {{"cursor", "garbage"}});
  EXPECT_EQ(bad["error"]["code"], rpc::kInvalidParams);
}

TEST_F(ProtocolTest, ReaderSeesNoWriteToolAndCannotCallOne) {
  auto reader = MakeServer(config::Role::kReader);
  LinkedClient client(reader->session());
  client.Initialize();
  std::vector<std::string> names;
  json listed = client.Request("tools/list");
  for (const auto& t : listed["result"]["tools"]) names.push_back(t["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"echo", "slow"}));
  json r = client.Request("tools/call", {{"name", "write_echo"}, {"arguments", {{"text", "x"}}}});
  EXPECT_TRUE(r["result"]["isError"].get<bool>());
  EXPECT_EQ(r["result"]["_meta"]["docrunch/error"]["code"], "MCP_UNAUTHORIZED");

  auto admin = MakeServer(config::Role::kAdmin);
  LinkedClient admin_client(admin->session());
  admin_client.Initialize();
  EXPECT_EQ(admin_client.Request("tools/list")["result"]["tools"].size(), 4u);
}

TEST_F(ProtocolTest, ToolArgumentsAreCheckedAgainstTheSchemaNamingTheField) {
  auto server = MakeServer(config::Role::kAgent);
  LinkedClient client(server->session());
  client.Initialize();
  json ok = client.Request("tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}});
  EXPECT_FALSE(ok["result"]["isError"].get<bool>());
  EXPECT_EQ(ok["result"]["structuredContent"]["text"], "hi");
  EXPECT_EQ(ok["result"]["content"][0]["text"], "hi");
  json bad =
      client.Request("tools/call", {{"name", "echo"}, {"arguments", {{"count", 9}, {"extra", 1}}}});
  ASSERT_TRUE(bad["result"]["isError"].get<bool>());
  std::string message = bad["result"]["_meta"]["docrunch/error"]["message"];
  EXPECT_EQ(bad["result"]["_meta"]["docrunch/error"]["code"], "MCP_INVALID_PARAMS");
  EXPECT_NE(message.find("text: required"), std::string::npos) << message;
  EXPECT_NE(message.find("count: must be at most 5"), std::string::npos) << message;
  EXPECT_NE(message.find("extra: unknown field"), std::string::npos) << message;
  json typed = client.Request("tools/call", {{"name", "echo"}, {"arguments", {{"text", 5}}}});
  EXPECT_NE(typed["result"]["content"][0]["text"].get<std::string>().find("text: must be string"),
            std::string::npos);
  // maxLength 10 counts bytes of UTF-8, and says so: six "é" are 12.
  json wide = client.Request(
      "tools/call",
      {{"name", "echo"},
       {"arguments", {{"text", "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"}}}});
  ASSERT_TRUE(wide["result"]["isError"].get<bool>());
  EXPECT_EQ(wide["result"]["_meta"]["docrunch/error"]["message"],
            "text: must be at most 10 bytes (UTF-8), got 12");
}

TEST_F(ProtocolTest, CompletesPromptArgumentsAndChecksPromptArguments) {
  auto server = MakeServer(config::Role::kAgent);
  LinkedClient client(server->session());
  client.Initialize();
  json r = client.Request("completion/complete",
                          {{"ref", {{"type", "ref/prompt"}, {"name", "start_task"}}},
                           {"argument", {{"name", "task_id"}, {"value", "task-1"}}}});
  EXPECT_EQ(r["result"]["completion"]["values"], json({"task-1", "task-12"}));
  json missing = client.Request("prompts/get", {{"name", "start_task"}});
  EXPECT_EQ(missing["error"]["code"], rpc::kInvalidParams);
  EXPECT_NE(missing["error"]["message"].get<std::string>().find("task_id"), std::string::npos);
  json got = client.Request("prompts/get",
                            {{"name", "start_task"}, {"arguments", {{"task_id", "task-2"}}}});
  EXPECT_EQ(got["result"]["messages"][0]["content"]["text"], "task-2");
}

TEST_F(ProtocolTest, SubscribedResourcesGetUpdateNotifications) {
  auto server = MakeServer(config::Role::kAgent);
  LinkedClient client(server->session());
  client.Initialize();
  EXPECT_TRUE(client.Request("resources/subscribe", {{"uri", "docs://r1"}})["result"].is_object());
  server->ResourcesChanged({"docs://r1", "docs://r2"}, false);
  auto seen = client.Unsolicited();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["method"], "notifications/resources/updated");
  EXPECT_EQ(seen[0]["params"]["uri"], "docs://r1");
  client.Request("resources/unsubscribe", {{"uri", "docs://r1"}});
  server->ResourcesChanged({"docs://r1"}, false);
  EXPECT_EQ(client.Unsolicited().size(), 1u);
  EXPECT_EQ(client.Request("resources/read", {{"uri", "docs://nope"}})["error"]["code"],
            rpc::kResourceNotFound);
  EXPECT_EQ(
      client.Request("resources/read", {{"uri", "docs://r3"}})["result"]["contents"][0]["text"],
      "# docs://r3");
}

TEST(SchemaCheckTest, NamesNestedFields) {
  json schema = {{"type", "object"},
                 {"properties",
                  {{"changes", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                   {"kind", {{"type", "string"}, {"enum", {"bug", "question"}}}}}}};
  EXPECT_EQ(CheckSchema(schema, {{"changes", {"a", 2}}}), "changes[1]: must be string, got number");
  EXPECT_EQ(CheckSchema(schema, {{"kind", "x"}}), "kind: must be one of [\"bug\",\"question\"]");
  EXPECT_EQ(CheckSchema(schema, {{"kind", "bug"}}), "");
}

}  // namespace
}  // namespace docrunch::mcp
