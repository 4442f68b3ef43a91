// Conformance: parameters and result values mean the same on every backend.
#include <gmock/gmock.h>

#include <limits>

#include "store/batch.h"
#include "store/store_test_env.h"

namespace docrunch::store {
namespace {

// A table with one column per value kind, created in the test's database.
void CreateValuesTable(Store& store) {
  auto made = store.Transact([](Tx& tx) -> Result<void> {
    auto n =
        tx.Exec("CREATE TABLE vals (id INTEGER PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT)");
    return n ? Ok() : Result<void>(n.error());
  });
  ASSERT_TRUE(made.ok()) << made.error().ToString();
}

Result<void> InsertValues(Store& store, std::int64_t id, Value i, Value d, Value t) {
  return store.Transact([&](Tx& tx) -> Result<void> {
    auto n = tx.Exec("INSERT INTO vals (id, i, d, t) VALUES ($1, $2, $3, $4)", {id, i, d, t});
    if (!n) return n.error();
    EXPECT_EQ(*n, 1);
    return Ok();
  });
}

TEST_P(StoreTest, ParametersRoundTripThroughATable) {
  ASSERT_NO_FATAL_FAILURE(CreateValuesTable(*store_));
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  const std::string unicode = "h\u00e9llo \u2014 \u65e5\u672c\u8a9e \U0001F389";
  const std::string quoted = "it's \"quoted\"; DROP TABLE vals; -- $1 \\ ";
  ASSERT_TRUE(InsertValues(*store_, 1, std::monostate{}, std::monostate{}, std::monostate{}).ok());
  ASSERT_TRUE(InsertValues(*store_, 2, kMax, 0.1, unicode).ok());
  ASSERT_TRUE(InsertValues(*store_, 3, kMin, -1.5e300, quoted).ok());
  ASSERT_TRUE(InsertValues(*store_, 4, std::int64_t{0}, 2.0, std::string()).ok());

  auto rows = store_->Query("SELECT id, i, d, t FROM vals ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ(rows->columns, (std::vector<std::string>{"id", "i", "d", "t"}));
  EXPECT_EQ(rows->Int(0, "i"), std::nullopt);
  EXPECT_EQ(rows->Real(0, "d"), std::nullopt);
  EXPECT_EQ(rows->Text(0, "t"), std::nullopt);
  EXPECT_EQ(rows->Int(1, "i"), kMax);
  EXPECT_EQ(rows->Real(1, "d"), 0.1);
  EXPECT_EQ(rows->Text(1, "t"), unicode);
  EXPECT_EQ(rows->Int(2, "i"), kMin);
  EXPECT_EQ(rows->Real(2, "d"), -1.5e300);
  EXPECT_EQ(rows->Text(2, "t"), quoted);
  EXPECT_EQ(rows->Text(3, "t"), "") << "empty text must not become NULL";
  // A whole number in a floating column stays a double on both backends.
  EXPECT_TRUE(std::holds_alternative<double>(rows->rows[3][2]));
  EXPECT_EQ(CountRows("vals"), 4);
}

// store/batch.h goes through each backend's own bulk path (SQLite: up to 64
// rows per statement; PostgreSQL: COPY, whose text format escapes
// tabs, newlines and backslashes): values must come back exactly.
TEST_P(StoreTest, BulkInsertRoundTripsEveryValueKind) {
  ASSERT_NO_FATAL_FAILURE(CreateValuesTable(*store_));
  const std::string awkward = "tab\there\nnew line\r\\N not null \\ back\\slash \u00e9";
  std::vector<Params> rows = {{std::int64_t{1}, std::monostate{}, std::monostate{}, awkward},
                              {std::int64_t{2}, std::int64_t{-7}, 0.1, std::string()},
                              {std::int64_t{3}, std::int64_t{1} << 40, -1.5e300, std::monostate{}}};
  auto inserted = store_->Transact([&](Tx& tx) {
    return InsertRows(tx, "vals", {"id", "i", "d", "t"}, rows);
  });
  ASSERT_TRUE(inserted.ok()) << inserted.error().ToString();
  auto back = store_->Query("SELECT id, i, d, t FROM vals ORDER BY id");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ(back->Text(0, "t"), awkward);
  EXPECT_EQ(back->Int(0, "i"), std::nullopt);
  EXPECT_EQ(back->Real(0, "d"), std::nullopt);
  EXPECT_EQ(back->Int(1, "i"), -7);
  EXPECT_EQ(back->Real(1, "d"), 0.1);
  EXPECT_EQ(back->Text(1, "t"), "") << "empty text must not become NULL";
  EXPECT_EQ(back->Int(2, "i"), std::int64_t{1} << 40);
  EXPECT_EQ(back->Real(2, "d"), -1.5e300);
  EXPECT_EQ(back->Text(2, "t"), std::nullopt);

  // A constraint violation is STORAGE_CONSTRAINT and rolls everything back.
  auto duplicate = store_->Transact([&](Tx& tx) {
    return InsertRows(
        tx, "vals", {"id", "t"},
        {{std::int64_t{4}, std::string("x")}, {std::int64_t{1}, std::string("again")}});
  });
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kStorageConstraint);
  EXPECT_EQ(CountRows("vals"), 3);
}

// Enough rows for SQLite's multi-row statements to run whole chunks (256
// rows of 4 columns) and a remainder of several sizes (700 = 2 x 256 + 128
// + 32 + 16 + 8 + 4): every row lands with its own values, a violation
// anywhere rolls all back, and a row of the wrong width is refused before
// anything is written.
TEST_P(StoreTest, BulkInsertOfManyRowsKeepsEachRowsValues) {
  ASSERT_NO_FATAL_FAILURE(CreateValuesTable(*store_));
  std::vector<Params> rows;
  for (std::int64_t id = 1; id <= 700; ++id) {
    rows.push_back({id, id * 3, static_cast<double>(id) / 4, "row " + std::to_string(id)});
  }
  auto inserted = store_->Transact([&](Tx& tx) {
    return InsertRows(tx, "vals", {"id", "i", "d", "t"}, rows);
  });
  ASSERT_TRUE(inserted.ok()) << inserted.error().ToString();
  auto back = store_->Query("SELECT id, i, d, t FROM vals ORDER BY id");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  ASSERT_EQ(back->size(), 700u);
  for (std::size_t r = 0; r < 700; ++r) {
    const std::int64_t id = static_cast<std::int64_t>(r) + 1;
    ASSERT_EQ(back->Int(r, "id"), id);
    EXPECT_EQ(back->Int(r, "i"), id * 3);
    EXPECT_EQ(back->Real(r, "d"), static_cast<double>(id) / 4);
    EXPECT_EQ(back->Text(r, "t"), "row " + std::to_string(id));
  }

  std::vector<Params> clash;
  for (std::int64_t id = 701; id <= 850; ++id) clash.push_back({id == 780 ? 5 : id, "x"});
  auto duplicate = store_->Transact([&](Tx& tx) {
    return InsertRows(tx, "vals", {"id", "t"}, clash);
  });
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kStorageConstraint);
  EXPECT_EQ(CountRows("vals"), 700);

  std::vector<Params> ragged;
  for (std::int64_t id = 1000; id < 1100; ++id) ragged.push_back({id, "y"});
  ragged[70] = {std::int64_t{1070}};
  auto refused = store_->Transact([&](Tx& tx) {
    return InsertRows(tx, "vals", {"id", "t"}, ragged);
  });
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(CountRows("vals"), 700);
}

TEST_P(StoreTest, ParametersBindInWhereClausesIncludingNull) {
  ASSERT_NO_FATAL_FAILURE(CreateValuesTable(*store_));
  ASSERT_TRUE(InsertValues(*store_, 1, std::int64_t{7}, 1.25, "seven").ok());
  ASSERT_TRUE(InsertValues(*store_, 2, std::monostate{}, 2.5, "none").ok());
  auto by_text = store_->Query("SELECT id FROM vals WHERE t = $1", {"seven"});
  ASSERT_TRUE(by_text.ok()) << by_text.error().ToString();
  ASSERT_EQ(by_text->size(), 1u);
  EXPECT_EQ(by_text->Int(0, "id"), 1);
  auto null_or =
      store_->Query("SELECT id FROM vals WHERE i IS NULL OR i = $1 ORDER BY id", {std::int64_t{7}});
  ASSERT_TRUE(null_or.ok()) << null_or.error().ToString();
  EXPECT_EQ(null_or->size(), 2u);
  auto by_real = store_->Query("SELECT id FROM vals WHERE d > $1", {2.0});
  ASSERT_TRUE(by_real.ok()) << by_real.error().ToString();
  ASSERT_EQ(by_real->size(), 1u);
  EXPECT_EQ(by_real->Int(0, "id"), 2);
}

TEST_P(StoreTest, SameParameterUsedTwice) {
  auto rows = store_->Query("SELECT $1 + $1 AS doubled, $2 AS word", {std::int64_t{21}, "hi"});
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  EXPECT_EQ(rows->Int(0, "doubled"), 42);
  EXPECT_EQ(rows->Text(0, "word"), "hi");
}

TEST_P(StoreTest, AggregatesAndBooleansComeBackAsNumbers) {
  ASSERT_NO_FATAL_FAILURE(CreateValuesTable(*store_));
  ASSERT_TRUE(InsertValues(*store_, 1, std::int64_t{5}, 1.5, "a").ok());
  ASSERT_TRUE(InsertValues(*store_, 2, std::int64_t{6}, 2.5, "b").ok());
  auto rows = store_->Query(
      "SELECT count(*) AS n, sum(i) AS total, sum(d) AS dsum, max(t) AS last, "
      "(1 = 1) AS yes FROM vals");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  EXPECT_EQ(rows->Int(0, "n"), 2);
  EXPECT_EQ(rows->Int(0, "total"), 11);
  EXPECT_EQ(rows->Real(0, "total"), 11.0);
  EXPECT_EQ(rows->Real(0, "dsum"), 4.0);
  EXPECT_EQ(rows->Text(0, "last"), "b");
  EXPECT_EQ(rows->Int(0, "yes"), 1);
}

TEST_P(StoreTest, ExecReturnsTheNumberOfChangedRows) {
  ASSERT_NO_FATAL_FAILURE(CreateValuesTable(*store_));
  for (std::int64_t id = 1; id <= 3; ++id) {
    ASSERT_TRUE(InsertValues(*store_, id, id, 0.0, "x").ok());
  }
  auto done = store_->Transact([](Tx& tx) -> Result<void> {
    auto changed = tx.Exec("UPDATE vals SET t = $1 WHERE i >= $2", {"y", std::int64_t{2}});
    if (!changed) return changed.error();
    EXPECT_EQ(*changed, 2);
    auto none = tx.Exec("DELETE FROM vals WHERE id = $1", {std::int64_t{99}});
    if (!none) return none.error();
    EXPECT_EQ(*none, 0);
    return Ok();
  });
  ASSERT_TRUE(done.ok()) << done.error().ToString();
}

TEST_P(StoreTest, BadSqlIsAStorageQueryError) {
  auto syntax = store_->Query("SELEC 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().code, ErrorCode::kStorageQuery);
  auto missing = store_->Query("SELECT * FROM no_such_table");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kStorageQuery);
  auto two = store_->Query("SELECT 1; SELECT 2");
  ASSERT_FALSE(two.ok()) << "several statements must be refused on every backend";
  EXPECT_EQ(two.error().code, ErrorCode::kStorageQuery);
  auto unbound = store_->Query("SELECT $1 AS a, $2 AS b", {std::int64_t{1}});
  ASSERT_FALSE(unbound.ok()) << "a parameter without a value must be refused";
  EXPECT_EQ(unbound.error().code, ErrorCode::kStorageQuery);
}

TEST_P(StoreTest, IntAcceptsTextHoldingAnInteger) {
  auto rows = store_->Query("SELECT '42' AS t");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  EXPECT_EQ(rows->Int(0, "t"), 42);
  EXPECT_EQ(rows->Column("t"), 0u);
}

TEST_P(StoreTest, LocationNamesTheDatabaseWithoutSecrets) {
  EXPECT_EQ(store_->BackendName(), GetParam());
  if (IsPostgres()) {
    EXPECT_THAT(store_->Location(), ::testing::StartsWith("postgres "));
    EXPECT_THAT(store_->Location(), ::testing::HasSubstr("/docrunch_test_"));
  } else {
    EXPECT_EQ(store_->Location(), Options().sqlite_path);
  }
}

}  // namespace
}  // namespace docrunch::store
