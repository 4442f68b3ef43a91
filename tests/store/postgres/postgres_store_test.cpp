// PostgreSQL-only behaviour: connection failures, secrets in messages, and
// replacing broken pooled connections.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "store/postgres/pg_url.h"
#include "store/store_test_env.h"

namespace docrunch::store {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

StoreOptions PostgresAt(const std::string& url, int timeout_seconds = 2) {
  StoreOptions options;
  options.backend = StoreOptions::Backend::kPostgres;
  options.postgres_url = url;
  options.connect_timeout_seconds = timeout_seconds;
  return options;
}

// A TCP port that accepts connections (the kernel completes the handshake)
// but never answers, like a server hung or behind a black-holing firewall.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 8);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(PostgresStoreTest, RefusedConnectionIsStorageUnavailableNamingHostAndPort) {
  auto start = Clock::now();
  auto store = OpenStore(PostgresAt("postgresql://docrunch@127.0.0.1:1/x"));
  ASSERT_FALSE(store.ok());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(store.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_THAT(store.error().message, HasSubstr("cannot connect to PostgreSQL at 127.0.0.1:1"));
  EXPECT_THAT(store.error().message, HasSubstr("refused"));
}

TEST(PostgresStoreTest, PasswordNeverAppearsInConnectionErrors) {
  auto store = OpenStore(PostgresAt("postgresql://u:s3cret@127.0.0.1:1/x"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_THAT(store.error().message, HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(store.error().ToString(), Not(HasSubstr("s3cret")));
}

TEST(PostgresStoreTest, SilentServerTimesOutWithinConnectTimeout) {
  SilentServer server;
  auto start = Clock::now();
  auto store = OpenStore(
      PostgresAt("postgresql://u:s3cret@127.0.0.1:" + std::to_string(server.port()) + "/x", 2));
  auto waited = Clock::now() - start;
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_THAT(store.error().message, HasSubstr("127.0.0.1:" + std::to_string(server.port())));
  EXPECT_THAT(store.error().message, Not(HasSubstr("s3cret")));
  EXPECT_GE(waited, std::chrono::milliseconds(1500));
  EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST(PostgresStoreTest, UrlParsingKeepsHostPortDatabaseAndHidesPassword) {
  auto full = ParsePostgresUrl("postgresql://u:pw123@db.example:6543/docs?sslmode=disable");
  ASSERT_TRUE(full.ok()) << full.error().ToString();
  EXPECT_EQ(full->Location(), "postgres db.example:6543/docs");
  EXPECT_EQ(full->HostPort(), "db.example:6543");
  auto defaults = ParsePostgresUrl("postgresql://alice@10.0.0.5");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->Location(), "postgres 10.0.0.5:5432/alice");
  auto bad = ParsePostgresUrl("postgresql://u:hunter2@h:notaport/db?bogus=1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kConfigInvalid);
  EXPECT_THAT(bad.error().message, Not(HasSubstr("hunter2")));
  EXPECT_EQ(ScrubSecrets("x pw123 y", "", *full), "x *** y");
}

TEST(PostgresStoreTest, BrokenPooledConnectionsAreReplaced) {
  if (PostgresAdminUrl().empty()) GTEST_SKIP() << "DOCRUNCH_TEST_POSTGRES_URL not set";
  ScratchPostgresDatabase db(PostgresAdminUrl());
  auto store = OpenStore(PostgresAt(db.url()));
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  ASSERT_TRUE((*store)->Migrate().ok());
  // Kill every server process of the store's connections (as a restart or
  // an idle-connection reaper would).
  std::string error = ScratchPostgresDatabase::AdminExec(
      PostgresAdminUrl(),
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db.name() + "'");
  ASSERT_EQ(error, "");
  auto rows = (*store)->Query("SELECT 1 AS one");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  EXPECT_EQ(rows->Int(0, "one"), 1);
  ASSERT_TRUE(ScratchPostgresDatabase::AdminExec(
                  PostgresAdminUrl(),
                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                      db.name() + "'") == "");
  auto done = (*store)->Transact([](Tx& tx) -> Result<void> {
    auto n = tx.Exec("INSERT INTO audit_log (at, actor, action, outcome) VALUES ($1, $2, $3, $4)",
                     {"2026-01-01T00:00:00.000Z", "test", "after-restart", "ok"});
    return n ? Ok() : Result<void>(n.error());
  });
  EXPECT_TRUE(done.ok()) << done.error().ToString();
}

// libpq passes text parameters as C strings: a NUL would cut the value
// short without a word. It is refused instead, naming the parameter.
TEST(PostgresStoreTest, TextWithANulIsRefusedNotCutShort) {
  if (PostgresAdminUrl().empty()) GTEST_SKIP() << "DOCRUNCH_TEST_POSTGRES_URL not set";
  ScratchPostgresDatabase db(PostgresAdminUrl());
  auto store = OpenStore(PostgresAt(db.url()));
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  ASSERT_TRUE((*store)->Migrate().ok());
  auto done = (*store)->Transact([](Tx& tx) -> Result<void> {
    auto n = tx.Exec("INSERT INTO audit_log (at, actor, action, outcome) VALUES ($1, $2, $3, $4)",
                     {"2026-01-01T00:00:00.000Z", std::string("alice\0mallory", 13), "x", "ok"});
    return n ? Ok() : Result<void>(n.error());
  });
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidParams);
  EXPECT_NE(done.error().message.find("$2"), std::string::npos) << done.error().message;
  auto rows = (*store)->Query("SELECT count(*) AS n FROM audit_log");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Int(0, "n"), 0);
}

// A statement run twice on a connection is prepared (parsed once); the
// prepared ones follow a table dropped and made again (a restore) and
// columns added (a migration), and a star is never kept prepared.
TEST(PostgresStoreTest, RepeatedStatementsArePreparedAndFollowSchemaChanges) {
  if (PostgresAdminUrl().empty()) GTEST_SKIP() << "DOCRUNCH_TEST_POSTGRES_URL not set";
  ScratchPostgresDatabase db(PostgresAdminUrl());
  StoreOptions options = PostgresAt(db.url());
  options.postgres_pool_size = 1;  // one connection: its prepared statements are visible
  auto store = OpenStore(options);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  auto script = [&](const std::string& sql) {
    auto done = (*store)->Transact([&](Tx& tx) -> Result<void> {
      std::size_t from = 0;
      while (from < sql.size()) {
        std::size_t end = std::min(sql.find(';', from), sql.size());
        auto n = tx.Exec(sql.substr(from, end - from), {});
        if (!n) return n.error();
        from = end + 1;
      }
      return Ok();
    });
    ASSERT_TRUE(done.ok()) << done.error().ToString();
  };
  script("CREATE TABLE pt (a BIGINT); INSERT INTO pt VALUES (1), (2)");
  auto count = [&](std::int64_t above) {
    auto rows = (*store)->Query("SELECT count(a) AS n FROM pt WHERE a > $1", {above});
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    return rows.ok() ? rows->Int(0, "n").value_or(-1) : -1;
  };
  auto prepared = [&] {
    auto rows = (*store)->Query(
        "SELECT statement FROM pg_prepared_statements WHERE strpos(statement, 'count(a)') > 0 "
        "AND strpos(statement, 'pg_prepared') = 0");
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? rows->size() : 0;
  };
  EXPECT_EQ(count(0), 2);
  EXPECT_EQ(prepared(), 0u) << "once is not prepared";
  EXPECT_EQ(count(1), 1);
  EXPECT_EQ(prepared(), 1u) << "the second use prepares it";
  EXPECT_EQ(count(0), 2);
  EXPECT_EQ(prepared(), 1u) << "and the third reuses it";

  script("DROP TABLE pt; CREATE TABLE pt (a BIGINT); INSERT INTO pt VALUES (5)");
  EXPECT_EQ(count(0), 1) << "a table made again is planned again";
  script("ALTER TABLE pt ADD COLUMN b TEXT DEFAULT 'x'");
  EXPECT_EQ(count(4), 1);
  for (int i = 0; i < 3; ++i) {
    auto star = (*store)->Transact([](Tx& tx) -> Result<void> {
      auto rows = tx.Query("SELECT * FROM pt WHERE a = $1", {std::int64_t{5}});
      if (!rows) return rows.error();
      EXPECT_EQ(rows->columns.size(), 2u);
      return Ok();
    });
    ASSERT_TRUE(star.ok()) << star.error().ToString();
  }
  script("ALTER TABLE pt ADD COLUMN c TEXT");
  auto star = (*store)->Transact([](Tx& tx) -> Result<void> {
    auto rows = tx.Query("SELECT * FROM pt WHERE a = $1", {std::int64_t{5}});
    if (!rows) return rows.error();
    EXPECT_EQ(rows->columns.size(), 3u);
    return Ok();
  });
  EXPECT_TRUE(star.ok()) << star.error().ToString();
}

}  // namespace
}  // namespace docrunch::store
