// Users and sign-in sessions on both backends: user management, login,
// rotation with reuse detection, logout, expiry, revocation by password
// change and disabling, trusted sessions, a refresh race, and what the
// database holds (never a password or a refresh token).
#include "auth/sessions.h"

#include <gmock/gmock.h>

#include <atomic>
#include <thread>

#include "auth/jwt.h"
#include "store_test_env.h"

namespace docrunch::store {
namespace {

using auth::SessionService;
using auth::TokenPair;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr const char* kBadLogin = "invalid username or password";

class SessionsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ReopenWithClock(clock_);
    if (HasFatalFailure()) return;
    MigrateStore();
    service_ = std::make_unique<SessionService>(*store_, clock_, Options());
  }
  void TearDown() override {
    service_.reset();
    StoreTest::TearDown();
  }

  static auth::SessionOptions Options() {
    auth::SessionOptions o;
    o.secret = "sessions-test-secret-0123456789abcdef";
    o.access_ttl = std::chrono::minutes(15);
    o.refresh_ttl = std::chrono::hours(24);
    return o;
  }

  void AddUser(const std::string& name, config::Role role, const std::string& password) {
    auto user = auth::CreateUser(*store_, clock_, name, role, password);
    ASSERT_TRUE(user.ok()) << user.error().ToString();
  }

  TokenPair LoginOk(const std::string& name, const std::string& password) {
    auto pair = service_->Login(name, password);
    EXPECT_TRUE(pair.ok()) << pair.error().ToString();
    return pair.ok() ? *pair : TokenPair{};
  }

  // The message of an UNAUTHORIZED result (a failure otherwise).
  template <class T>
  static std::string Unauthorized(const Result<T>& r) {
    if (r.ok()) {
      ADD_FAILURE() << "succeeded";
      return "";
    }
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized) << r.error().ToString();
    return r.error().message;
  }

  // Every value of every row of `table`, as text.
  std::string TableText(const std::string& table) {
    auto rows = store_->Query("SELECT * FROM " + table);
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    std::string out;
    if (!rows.ok()) return out;
    for (const auto& row : rows->rows) {
      for (const auto& v : row) {
        if (const auto* s = std::get_if<std::string>(&v)) out += *s + "\n";
      }
    }
    return out;
  }

  ManualClock clock_{*ParseIso8601("2026-11-27T12:00:00Z")};
  std::unique_ptr<SessionService> service_;
};

TEST_P(SessionsTest, CreateListAndGetUsers) {
  AddUser("bob", config::Role::kReader, "bob-password");
  clock_.Advance(std::chrono::seconds(5));
  AddUser("alice.smith@example-corp_1", config::Role::kAdmin, "alice-password");
  auto users = auth::ListUsers(*store_);
  ASSERT_TRUE(users.ok()) << users.error().ToString();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].name, "alice.smith@example-corp_1");
  EXPECT_EQ((*users)[0].role, config::Role::kAdmin);
  EXPECT_EQ((*users)[0].created_at, "2026-11-27T12:00:05.000Z");
  EXPECT_EQ((*users)[1].name, "bob");
  EXPECT_EQ((*users)[1].role, config::Role::kReader);
  EXPECT_EQ((*users)[1].created_at, "2026-11-27T12:00:00.000Z");
  auto bob = auth::GetUser(*store_, "bob");
  ASSERT_TRUE(bob.ok()) << bob.error().ToString();
  EXPECT_GT(bob->id, 0);
  EXPECT_EQ(bob->last_login_at, "");
  EXPECT_EQ(bob->disabled_at, "");
  auto nobody = auth::GetUser(*store_, "carol");
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.error().code, ErrorCode::kStorageNotFound);
  EXPECT_THAT(nobody.error().message, HasSubstr("carol"));
}

TEST_P(SessionsTest, BadNamesAndPasswordsAreRefused) {
  for (std::string name : {std::string(), std::string("-lead"), std::string(".x"),
                           std::string("_x"), std::string("a b"), std::string("a/b"),
                           std::string("caf\xc3\xa9"), std::string("a:b"), std::string(65, 'a')}) {
    SCOPED_TRACE(name);
    auto r = auth::CreateUser(*store_, clock_, name, config::Role::kReader, "long-enough");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
    EXPECT_THAT(r.error().message, StartsWith("name: "));
  }
  for (std::string password : {std::string(), std::string(7, 'p'), std::string(1025, 'p')}) {
    auto r = auth::CreateUser(*store_, clock_, "bob", config::Role::kReader, password);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
    EXPECT_EQ(r.error().message, "password: must be 8 to 1024 bytes");
  }
  EXPECT_EQ(CountRows("users"), 0);
  AddUser(std::string(64, 'a'), config::Role::kReader, std::string(8, 'p'));
  auto r = auth::SetPassword(*store_, clock_, std::string(64, 'a'), "short");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
}

TEST_P(SessionsTest, DuplicateNameIsRefused) {
  AddUser("bob", config::Role::kReader, "bob-password");
  auto again = auth::CreateUser(*store_, clock_, "bob", config::Role::kAdmin, "other-password");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(CountRows("users"), 1);
  EXPECT_EQ(auth::GetUser(*store_, "bob")->role, config::Role::kReader);
}

TEST_P(SessionsTest, UnknownUsersCannotBeChanged) {
  for (auto r : {auth::SetPassword(*store_, clock_, "ghost", "ghost-password"),
                 auth::DisableUser(*store_, clock_, "ghost")}) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kStorageNotFound);
  }
}

TEST_P(SessionsTest, LoginGivesTokensThatVerifyAndRecordsTheTime) {
  AddUser("alice", config::Role::kAgent, "alice-password");
  clock_.Advance(std::chrono::minutes(1));
  TokenPair pair = LoginOk("alice", "alice-password");
  EXPECT_EQ(pair.expires_in, 15 * 60);
  EXPECT_EQ(pair.refresh_expires_in, 24 * 3600);
  EXPECT_THAT(pair.refresh_token, ::testing::MatchesRegex("drr_[0-9a-f]{64}"));
  auto who = service_->VerifyAccess(pair.access_token);
  ASSERT_TRUE(who.ok()) << who.error().ToString();
  EXPECT_EQ(who->name, "alice");
  EXPECT_EQ(who->role, config::Role::kAgent);
  EXPECT_EQ(who->session_id.size(), 32u);
  EXPECT_EQ(auth::GetUser(*store_, "alice")->last_login_at, "2026-11-27T12:01:00.000Z");
  // The token is a JWT of the configured issuer and audience, whose sid is
  // the session.
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
  auth::JwtCheck check{"docrunch", "docrunch-api", now, std::chrono::seconds(0)};
  auto claims = auth::VerifyJwt(pair.access_token, Options().secret, check);
  ASSERT_TRUE(claims.ok()) << claims.error().ToString();
  EXPECT_EQ(claims->sid, who->session_id);
  EXPECT_EQ(claims->exp - claims->iat, 15 * 60);
  // Each login is a session of its own.
  TokenPair second = LoginOk("alice", "alice-password");
  EXPECT_NE(service_->VerifyAccess(second.access_token)->session_id, who->session_id);
}

TEST_P(SessionsTest, LoginFailuresAllSayTheSameThing) {
  AddUser("alice", config::Role::kReader, "alice-password");
  AddUser("mallory", config::Role::kReader, "mallory-password");
  ASSERT_TRUE(auth::DisableUser(*store_, clock_, "mallory").ok());
  EXPECT_EQ(Unauthorized(service_->Login("alice", "wrong-password")), kBadLogin);
  EXPECT_EQ(Unauthorized(service_->Login("alice", "")), kBadLogin);
  EXPECT_EQ(Unauthorized(service_->Login("alice", std::string(2000, 'a'))), kBadLogin);
  EXPECT_EQ(Unauthorized(service_->Login("nobody", "alice-password")), kBadLogin);
  EXPECT_EQ(Unauthorized(service_->Login("mallory", "mallory-password")), kBadLogin);
  EXPECT_EQ(CountRows("auth_sessions"), 0);
  EXPECT_EQ(auth::GetUser(*store_, "alice")->last_login_at, "");
}

TEST_P(SessionsTest, RefreshRotatesAndReuseRevokesTheWholeSignIn) {
  AddUser("alice", config::Role::kReader, "alice-password");
  TokenPair first = LoginOk("alice", "alice-password");
  TokenPair other = LoginOk("alice", "alice-password");  // a second sign-in
  clock_.Advance(std::chrono::minutes(5));
  auto second = service_->Refresh(first.refresh_token);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_NE(second->refresh_token, first.refresh_token);
  EXPECT_NE(second->access_token, first.access_token);
  auto who = service_->VerifyAccess(second->access_token);
  ASSERT_TRUE(who.ok()) << who.error().ToString();
  EXPECT_EQ(who->session_id, service_->VerifyAccess(first.access_token)->session_id);

  // The used token again: reuse. The family is revoked, so the new refresh
  // token and both access tokens of this sign-in stop working.
  EXPECT_THAT(Unauthorized(service_->Refresh(first.refresh_token)), HasSubstr("already used"));
  EXPECT_EQ(Unauthorized(service_->Refresh(second->refresh_token)), "session revoked");
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(second->access_token)), "session revoked");
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(first.access_token)), "session revoked");
  auto reason =
      store_->Query("SELECT revoked_reason FROM auth_sessions WHERE id = $1", {who->session_id});
  ASSERT_TRUE(reason.ok());
  EXPECT_EQ(reason->Text(0, "revoked_reason"), "refresh token reused");
  // The other sign-in is untouched.
  EXPECT_TRUE(service_->VerifyAccess(other.access_token).ok());
  EXPECT_TRUE(service_->Refresh(other.refresh_token).ok());
}

TEST_P(SessionsTest, UnknownAndMalformedRefreshTokensAreRefused) {
  for (std::string token :
       {std::string(), std::string("drr_"), std::string("drr_") + std::string(64, '0'),
        std::string("drt_") + std::string(64, 'a'), std::string(200, 'x')}) {
    EXPECT_EQ(Unauthorized(service_->Refresh(token)), "unknown refresh token");
    EXPECT_EQ(Unauthorized(service_->Logout(token)), "unknown refresh token");
  }
}

TEST_P(SessionsTest, LogoutRevokesTheSession) {
  AddUser("alice", config::Role::kReader, "alice-password");
  TokenPair pair = LoginOk("alice", "alice-password");
  ASSERT_TRUE(service_->VerifyAccess(pair.access_token).ok());
  auto out = service_->Logout(pair.refresh_token);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(pair.access_token)), "session revoked");
  EXPECT_EQ(Unauthorized(service_->Refresh(pair.refresh_token)), "session revoked");
  EXPECT_EQ(Unauthorized(service_->Logout(pair.refresh_token)), "session already ended");
}

TEST_P(SessionsTest, AVerifiedTokenIsKeptOnlyWhileTheDatabaseIsUnchanged) {
  AddUser("alice", config::Role::kReader, "alice-password");
  TokenPair pair = LoginOk("alice", "alice-password");
  auto mark = store_->ChangeMark();
  ASSERT_TRUE(mark.ok());
  ASSERT_TRUE(service_->VerifyAccess(pair.access_token, *mark).ok());
  ASSERT_TRUE(service_->VerifyAccess(pair.access_token, *mark).ok()) << "kept";
  // Expiry is still checked on a kept token.
  clock_.Advance(std::chrono::minutes(16));
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(pair.access_token, *mark)), "token expired");

  TokenPair second = LoginOk("alice", "alice-password");
  auto before = store_->ChangeMark();
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(service_->VerifyAccess(second.access_token, *before).ok());
  // Signing out commits: the next mark differs and the token is refused.
  ASSERT_TRUE(service_->Logout(second.refresh_token).ok());
  auto after = store_->ChangeMark();
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*after, *before);
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(second.access_token, *after)), "session revoked");
  // A forged token is refused with or without a mark, and never kept.
  std::string forged = second.access_token;
  char& c = forged[forged.size() - 10];  // inside the signature
  c = c == 'A' ? 'B' : 'A';
  EXPECT_FALSE(service_->VerifyAccess(forged, *after).ok());
  EXPECT_FALSE(service_->VerifyAccess(forged, *after).ok());
}

TEST_P(SessionsTest, ExpiredTokensAreRefused) {
  AddUser("alice", config::Role::kReader, "alice-password");
  TokenPair pair = LoginOk("alice", "alice-password");
  clock_.Advance(std::chrono::minutes(15) + std::chrono::seconds(29));  // within the leeway
  EXPECT_TRUE(service_->VerifyAccess(pair.access_token).ok());
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(pair.access_token)), "token expired");
  // Refresh tokens: valid until refresh_ttl has passed.
  TokenPair fresh = LoginOk("alice", "alice-password");
  clock_.Advance(std::chrono::hours(24) - std::chrono::seconds(1));
  auto rotated = service_->Refresh(fresh.refresh_token);
  ASSERT_TRUE(rotated.ok()) << rotated.error().ToString();
  clock_.Advance(std::chrono::hours(24));
  EXPECT_EQ(Unauthorized(service_->Refresh(rotated->refresh_token)), "refresh token expired");
  // An expired token is not reuse: a later attempt still says expired.
  EXPECT_EQ(Unauthorized(service_->Refresh(rotated->refresh_token)), "refresh token expired");
}

// Several rounds: one round may happen to run the threads one after the
// other, which would not test the race.
TEST_P(SessionsTest, ConcurrentRefreshesOfOneTokenHaveOneWinner) {
  AddUser("alice", config::Role::kReader, "alice-password");
  constexpr int kThreads = 8, kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    TokenPair pair = LoginOk("alice", "alice-password");
    std::atomic<int> ready{0};
    std::vector<Result<TokenPair>> results(kThreads, MakeError(ErrorCode::kInternal, "not run"));
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        ++ready;
        while (ready.load() < kThreads) std::this_thread::yield();
        results[i] = service_->Refresh(pair.refresh_token);
      });
    }
    for (auto& t : threads) t.join();
    int winners = 0;
    std::string winner_access;
    for (const auto& r : results) {
      if (r.ok()) {
        ++winners;
        winner_access = r->access_token;
      } else {
        EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized) << r.error().ToString();
      }
    }
    ASSERT_EQ(winners, 1);
    // The losers were reuse, so the sign-in is over, the winner's tokens too.
    EXPECT_EQ(Unauthorized(service_->VerifyAccess(winner_access)), "session revoked");
  }
  EXPECT_EQ(CountRows("refresh_tokens"), 2 * kRounds) << "one new token per round";
}

TEST_P(SessionsTest, PasswordChangeAndDisablingEndSessions) {
  AddUser("alice", config::Role::kAdmin, "alice-password");
  TokenPair before = LoginOk("alice", "alice-password");
  ASSERT_TRUE(auth::SetPassword(*store_, clock_, "alice", "new-password").ok());
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(before.access_token)), "session revoked");
  EXPECT_EQ(Unauthorized(service_->Refresh(before.refresh_token)), "session revoked");
  EXPECT_EQ(Unauthorized(service_->Login("alice", "alice-password")), kBadLogin);

  TokenPair after = LoginOk("alice", "new-password");
  ASSERT_TRUE(service_->VerifyAccess(after.access_token).ok());
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_TRUE(auth::DisableUser(*store_, clock_, "alice").ok());
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(after.access_token)), "session revoked");
  EXPECT_EQ(Unauthorized(service_->Refresh(after.refresh_token)), "session revoked");
  EXPECT_EQ(Unauthorized(service_->Login("alice", "new-password")), kBadLogin);
  EXPECT_EQ(auth::GetUser(*store_, "alice")->disabled_at, "2026-11-27T12:01:00.000Z");
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_TRUE(auth::DisableUser(*store_, clock_, "alice").ok()) << "disabling twice is fine";
  EXPECT_EQ(auth::GetUser(*store_, "alice")->disabled_at, "2026-11-27T12:01:00.000Z");
}

TEST_P(SessionsTest, DisabledUserIsRefusedEvenIfTheSessionWasNotRevoked) {
  // VerifyAccess checks the user itself, not only the session.
  AddUser("alice", config::Role::kReader, "alice-password");
  TokenPair pair = LoginOk("alice", "alice-password");
  ASSERT_TRUE(store_
                  ->Transact([](Tx& tx) -> Result<void> {
                    auto n = tx.Exec("UPDATE users SET disabled_at = 'x' WHERE name = 'alice'");
                    if (!n) return n.error();
                    return Ok();
                  })
                  .ok());
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(pair.access_token)), "user disabled");
}

TEST_P(SessionsTest, TokensNotIssuedHereAreRefused) {
  AddUser("alice", config::Role::kReader, "alice-password");
  TokenPair pair = LoginOk("alice", "alice-password");
  auto claims = auth::VerifyJwt(pair.access_token, Options().secret,
                                {"docrunch", "docrunch-api", 0, std::chrono::hours(24 * 365 * 99)});
  ASSERT_TRUE(claims.ok()) << claims.error().ToString();
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(auth::SignJwt(*claims, "another-secret"))),
            "bad signature");
  // Signed with our key but for a session that does not exist, or naming
  // a role or user other than its session's.
  auth::JwtClaims forged = *claims;
  forged.sid = std::string(32, 'f');
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(auth::SignJwt(forged, Options().secret))),
            "unknown session");
  forged = *claims;
  forged.role = config::Role::kAdmin;
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(auth::SignJwt(forged, Options().secret))),
            "the token does not match its session");
  forged = *claims;
  forged.sub = "bob";
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(auth::SignJwt(forged, Options().secret))),
            "the token does not match its session");
  EXPECT_EQ(Unauthorized(service_->VerifyAccess("")), "no token presented");
}

TEST_P(SessionsTest, TrustedSessionsNeedNoUserRow) {
  auto pair = service_->StartTrusted("local-admin", config::Role::kAdmin);
  ASSERT_TRUE(pair.ok()) << pair.error().ToString();
  auto who = service_->VerifyAccess(pair->access_token);
  ASSERT_TRUE(who.ok()) << who.error().ToString();
  EXPECT_EQ(who->name, "local-admin");
  EXPECT_EQ(who->role, config::Role::kAdmin);
  EXPECT_EQ(CountRows("users"), 0);
  auto row = store_->Query("SELECT user_id, name, role FROM auth_sessions WHERE id = $1",
                           {who->session_id});
  ASSERT_TRUE(row.ok() && row->size() == 1);
  EXPECT_EQ(row->Int(0, "user_id"), std::nullopt);
  EXPECT_EQ(row->Text(0, "name"), "local-admin");
  EXPECT_EQ(row->Text(0, "role"), "admin");
  auto rotated = service_->Refresh(pair->refresh_token);
  ASSERT_TRUE(rotated.ok()) << rotated.error().ToString();
  EXPECT_TRUE(service_->VerifyAccess(rotated->access_token).ok());
  ASSERT_TRUE(service_->Logout(rotated->refresh_token).ok());
  EXPECT_EQ(Unauthorized(service_->VerifyAccess(rotated->access_token)), "session revoked");
  auto bad = service_->StartTrusted("bad name", config::Role::kReader);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidParams);
}

// A local session (auth off) must not outlive turning auth on: neither its
// access token nor its refresh token is accepted by a service that does not
// allow trusted sessions, while users' sessions still are.
TEST_P(SessionsTest, TrustedSessionsAreRefusedOnceAuthIsOn) {
  auto local = service_->StartTrusted("local", config::Role::kAdmin);
  ASSERT_TRUE(local.ok()) << local.error().ToString();
  ASSERT_TRUE(auth::CreateUser(*store_, clock_, "alice", config::Role::kReader, "correct horse").ok());
  auto options = Options();
  options.allow_trusted = false;
  SessionService strict(*store_, clock_, options);
  EXPECT_EQ(Unauthorized(strict.VerifyAccess(local->access_token)),
            "a local sign-in is not valid while auth is on");
  EXPECT_EQ(Unauthorized(strict.Refresh(local->refresh_token)),
            "a local sign-in is not valid while auth is on");
  auto alice = strict.Login("alice", "correct horse");
  ASSERT_TRUE(alice.ok()) << alice.error().ToString();
  EXPECT_TRUE(strict.VerifyAccess(alice->access_token).ok());
  EXPECT_TRUE(strict.Refresh(alice->refresh_token).ok());
}

TEST_P(SessionsTest, TheDatabaseHoldsNoPasswordOrRefreshToken) {
  const std::string password = "correct horse battery staple";
  AddUser("alice", config::Role::kReader, password);
  TokenPair first = LoginOk("alice", password);
  auto second = service_->Refresh(first.refresh_token);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  auto trusted = service_->StartTrusted("local", config::Role::kAdmin);
  ASSERT_TRUE(trusted.ok());
  std::string all = TableText("users") + TableText("auth_sessions") + TableText("refresh_tokens");
  for (const std::string& secret :
       {password, first.refresh_token, second->refresh_token, trusted->refresh_token}) {
    EXPECT_THAT(all, Not(HasSubstr(secret)));
    EXPECT_THAT(all, Not(HasSubstr(secret.substr(4))));  // not even the hex without "drr_"
  }
  EXPECT_THAT(TableText("users"), HasSubstr("$argon2id$"));
  EXPECT_EQ(CountRows("refresh_tokens"), 3);
}

TEST_P(SessionsTest, AnEmptySecretIsAConfigurationError) {
  auth::SessionOptions options = Options();
  options.secret.clear();
  SessionService service(*store_, clock_, options);
  auto r = service.StartTrusted("local", config::Role::kAdmin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConfigInvalid);
  EXPECT_FALSE(service.VerifyAccess("a.b.c").ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionsTest, ::testing::Values("sqlite", "postgres"),
                         BackendParamName);

}  // namespace
}  // namespace docrunch::store
