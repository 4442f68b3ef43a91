// `docrunch user ...` through the real binary: passwords only on stdin and
// never printed or stored, JSON listing, disabling, and the exit codes of
// a duplicate name and a missing --password-stdin.
#include <nlohmann/json.hpp>

#include "app/app_test_util.h"

namespace docrunch::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class UserCommand : public ProjectTest {
 protected:
  void SetUp() override {
    Init();
    ProcessResult migrated = Docrunch({"db", "migrate"});
    ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  }
  // docrunch with `input` on its standard input.
  ProcessResult WithInput(std::vector<std::string> args, const std::string& input) {
    ProcessOptions options;
    options.cwd = dir_.path();
    options.unset_env = {"DOCRUNCH_CONFIG", "DOCRUNCH_DEBUG"};
    options.stdin_data = input;
    return RunDocrunch(args, options);
  }
  json ListJson() {
    ProcessResult r = Docrunch({"user", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  // Everything the SQLite database holds on disk, WAL included.
  std::string DatabaseBytes() const {
    return dir_.Read(".docrunch/docrunch.db") + ReadFile(dir_ / ".docrunch/docrunch.db-wal");
  }
};

TEST_F(UserCommand, CreateReadsThePasswordFromStdinAndNeverShowsIt) {
  const std::string password = "Tr0ub4dor&3-horse";
  ProcessResult r = WithInput({"user", "create", "alice", "--role", "admin", "--password-stdin"},
                              password + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "created user alice (admin)\n");
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(password)));
  ASSERT_EQ(WithInput({"user", "create", "bob", "--password-stdin"}, "bob-password").exit_code, 0)
      << "no trailing newline is fine too";

  json users = ListJson();
  ASSERT_TRUE(users.is_array()) << users;
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0]["name"], "alice");
  EXPECT_EQ(users[0]["role"], "admin");
  EXPECT_TRUE(users[0]["last_login_at"].is_null());
  EXPECT_TRUE(users[0]["disabled_at"].is_null());
  EXPECT_EQ(users[0]["created_at"].get<std::string>().size(), 24u);
  EXPECT_EQ(users[1]["name"], "bob");
  EXPECT_EQ(users[1]["role"], "reader") << "the default role";
  EXPECT_FALSE(users[0].contains("password_hash"));
  ProcessResult text = Docrunch({"user", "list"});
  EXPECT_THAT(text.out, HasSubstr("alice  admin  created "));
  EXPECT_THAT(text.out, HasSubstr("last login never  enabled"));
  EXPECT_THAT(text.out + text.err, Not(HasSubstr("argon2")));

  std::string stored = DatabaseBytes();
  ASSERT_THAT(stored, HasSubstr("$argon2id$")) << "the hash is what is stored";
  EXPECT_THAT(stored, Not(HasSubstr(password)));
}

TEST_F(UserCommand, DuplicateNameFails) {
  ASSERT_EQ(
      WithInput({"user", "create", "alice", "--password-stdin"}, "first-password\n").exit_code, 0);
  ProcessResult again =
      WithInput({"user", "create", "alice", "--password-stdin"}, "second-password\n");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("ALREADY_EXISTS: name: a user named 'alice' exists"));
  EXPECT_EQ(ListJson().size(), 1u);
}

TEST_F(UserCommand, PasswordMustComeOnStdin) {
  ProcessResult no_flag = WithInput({"user", "create", "alice"}, "some-password\n");
  EXPECT_EQ(no_flag.exit_code, 2);
  EXPECT_THAT(no_flag.err, HasSubstr("--password-stdin"));
  ProcessResult empty = WithInput({"user", "create", "alice", "--password-stdin"}, "\n");
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_THAT(empty.err, HasSubstr("--password-stdin: no password on standard input"));
  ProcessResult nothing = WithInput({"user", "create", "alice", "--password-stdin"}, "");
  EXPECT_EQ(nothing.exit_code, 2);
  ProcessResult short_one = WithInput({"user", "create", "alice", "--password-stdin"}, "short\n");
  EXPECT_EQ(short_one.exit_code, 2);
  EXPECT_THAT(short_one.err, HasSubstr("INVALID_PARAMS: password: must be 8 to 1024 bytes"));
  EXPECT_THAT(short_one.err, Not(HasSubstr("short\n")));
  ProcessResult bad_role =
      WithInput({"user", "create", "alice", "--role", "root", "--password-stdin"}, "pw-12345678\n");
  EXPECT_EQ(bad_role.exit_code, 2);
  EXPECT_EQ(ListJson().size(), 0u);
  ProcessResult passwd = WithInput({"user", "passwd", "alice"}, "some-password\n");
  EXPECT_EQ(passwd.exit_code, 2);
  EXPECT_THAT(passwd.err, HasSubstr("--password-stdin"));
}

TEST_F(UserCommand, PasswdAndDisable) {
  ASSERT_EQ(
      WithInput({"user", "create", "alice", "--password-stdin"}, "first-password\n").exit_code, 0);
  ProcessResult passwd =
      WithInput({"user", "passwd", "alice", "--password-stdin"}, "second-password\n");
  ASSERT_EQ(passwd.exit_code, 0) << passwd.err;
  EXPECT_THAT(passwd.out, HasSubstr("password of alice changed"));
  EXPECT_THAT(DatabaseBytes(), Not(HasSubstr("second-password")));
  EXPECT_EQ(
      WithInput({"user", "passwd", "nobody", "--password-stdin"}, "second-password\n").exit_code,
      1);

  ProcessResult disabled = Docrunch({"user", "disable", "alice"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_EQ(disabled.out, "disabled alice\n");
  json users = ListJson();
  ASSERT_EQ(users.size(), 1u);
  EXPECT_TRUE(users[0]["disabled_at"].is_string()) << users;
  EXPECT_THAT(Docrunch({"user", "list"}).out, HasSubstr("disabled 20"));
  ProcessResult unknown = Docrunch({"user", "disable", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("STORAGE_NOT_FOUND"));
}

}  // namespace
}  // namespace docrunch::testing
