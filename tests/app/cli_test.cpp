#include "app_test_util.h"

namespace docrunch::testing {
namespace {

using ::testing::HasSubstr;

TEST(Cli, VersionPrintsTheVersion) {
  ProcessResult r = RunDocrunch({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::MatchesRegex("docrunch [0-9]+\\.[0-9]+\\.[0-9]+\n"));
}

TEST(Cli, EveryCommandHasHelp) {
  for (std::vector<std::string> command : {std::vector<std::string>{},
                                           {"init"},
                                           {"config"},
                                           {"config", "show"},
                                           {"config", "validate"},
                                           {"config", "set"},
                                           {"db"},
                                           {"db", "status"},
                                           {"db", "migrate"},
                                           {"snapshot"},
                                           {"snapshot", "create"},
                                           {"snapshot", "list"},
                                           {"snapshot", "diff"},
                                           {"snapshot", "restore"},
                                           {"snapshot", "clean"},
                                           {"doctor"}}) {
    command.push_back("--help");
    ProcessResult r = RunDocrunch(command);
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(command);
    EXPECT_THAT(r.out, HasSubstr("Usage:")) << ::testing::PrintToString(command);
  }
}

TEST(Cli, NoCommandIsAUsageError) {
  ProcessResult r = RunDocrunch({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--help"));
}

TEST(Cli, UnknownCommandSuggestsTheClosest) {
  ProcessResult r = RunDocrunch({"confg", "show"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("did you mean 'config'?"));

  r = RunDocrunch({"db", "statsu"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("did you mean 'status'?"));
}

TEST(Cli, UnknownFlagSuggestsTheClosest) {
  ProcessResult r = RunDocrunch({"db", "status", "--jsn"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("did you mean '--json'?"));
  r = RunDocrunch({"init", "--forse"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("did you mean '--force'?"));
}

class CliProject : public ProjectTest {};

TEST_F(CliProject, CommandsOutsideAProjectSayToRunInit) {
  ProcessResult r = Docrunch({"db", "status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("CONFIG_NOT_FOUND"));
  EXPECT_THAT(r.err, HasSubstr("docrunch init"));
}

TEST_F(CliProject, DebugLogsGoToStderrOnly) {
  Init();
  ProcessResult quiet = Docrunch({"config", "validate"});
  EXPECT_THAT(quiet.err, ::testing::Not(HasSubstr("configuration loaded")));
  ProcessResult r = Docrunch({"config", "validate"}, {{"DOCRUNCH_DEBUG", "1"}});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("debug configuration loaded from"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("configuration loaded")));
  r = Docrunch({"--debug", "config", "validate"});
  EXPECT_THAT(r.err, HasSubstr("configuration loaded"));
}

TEST_F(CliProject, JsonLogsAreOneObjectPerLine) {
  Init();
  ProcessResult r = Docrunch({"--debug", "--set", "logging.format=json", "config", "validate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, ::testing::MatchesRegex(
                         "\\{\"ts\":\"[0-9T:.Z-]+\",\"level\":\"debug\",\"pid\":[0-9]+,\"msg\":"
                         "\"configuration loaded from [^\"]+\"\\}\n"));
}

}  // namespace
}  // namespace docrunch::testing
