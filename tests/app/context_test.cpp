// AppContext::Store() is the door every data command goes through: it must
// refuse a database whose schema is behind or ahead of this binary.
#include "app/context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/process.h"
#include "support/temp_dir.h"

namespace docrunch::app {
namespace {

using ::testing::HasSubstr;

class ContextTest : public ::testing::Test {
 protected:
  ContextTest() {
    dir_.Write(".docrunch/config.yaml", "project: {name: t}\n");
    ctx_.options().config_path = (dir_ / ".docrunch/config.yaml").string();
  }
  std::string Db() const { return (dir_ / ".docrunch/docrunch.db").string(); }

  testing::TempDir dir_;
  AppContext ctx_{{}};
};

TEST_F(ContextTest, SchemaBehindIsRefusedNamingTheCommand) {
  auto store = ctx_.Store();
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kStorageSchemaBehind);
  EXPECT_THAT(store.error().message, HasSubstr("run `docrunch db migrate`"));
  EXPECT_EQ(ExitCodeFor(store.error().code), ExitCode::kUsage);
}

TEST_F(ContextTest, SchemaAheadIsRefused) {
  {
    AppContext migrate_ctx({});
    migrate_ctx.options().config_path = ctx_.options().config_path;
    auto store = migrate_ctx.StoreUnchecked();
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    ASSERT_TRUE((*store)->Migrate().ok());
    ASSERT_TRUE((*store)
                    ->Transact([](store::Tx& tx) -> Result<void> {
                      auto r = tx.Exec(
                          "INSERT INTO schema_migrations(version, name, applied_at) "
                          "VALUES ($1, $2, $3)",
                          {std::int64_t{999}, std::string("future"),
                           std::string("2030-01-01T00:00:00.000Z")});
                      if (!r) return r.error();
                      return Ok();
                    })
                    .ok());
  }
  auto store = ctx_.Store();
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kStorageSchemaAhead);
  EXPECT_THAT(store.error().message, HasSubstr("a newer docrunch is needed"));
}

TEST_F(ContextTest, CurrentSchemaIsAccepted) {
  ASSERT_TRUE((*ctx_.StoreUnchecked())->Migrate().ok());
  EXPECT_TRUE(ctx_.Store().ok());
}

TEST(StoreOptionsFor, ResolvesPathsAndUrls) {
  config::LoadedConfig loaded;
  loaded.project_root = "/repo";
  loaded.config.storage.backend = config::StorageBackend::kPostgres;
  loaded.config.storage.postgres_url_env = "PG";
  store::StoreOptions options = StoreOptionsFor(loaded, {{"PG", "postgresql://u:p@h:1/d"}});
  EXPECT_EQ(options.backend, store::StoreOptions::Backend::kPostgres);
  EXPECT_EQ(options.postgres_url, "postgresql://u:p@h:1/d");
  EXPECT_EQ(options.sqlite_path, "/repo/.docrunch/docrunch.db");
  EXPECT_EQ(options.connect_timeout_seconds, 5);
}

}  // namespace
}  // namespace docrunch::app
