// Internal to src/store: a bounded pool of database connections, shared by
// the backends (PostgreSQL for all work, SQLite for readers).
//
// Connections are opened lazily up to `max_size`; Acquire() waits for one
// to come back when all are leased. A connection that comes back unhealthy
// (broken, or still inside a transaction) is closed, which frees its slot
// for a fresh one. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "obs/catalog.h"

namespace docrunch::store {

template <class Conn>
class ConnectionPool {
 public:
  using Opener = std::function<Result<std::unique_ptr<Conn>>()>;
  using HealthCheck = std::function<bool(Conn&)>;

  // One connection on loan; goes back to the pool when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Conn> conn, bool reused)
        : pool_(pool), conn_(std::move(conn)), reused_(reused) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)),
          conn_(std::move(other.conn_)),
          reused_(other.reused_) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_) pool_->Release(std::move(conn_));
    }
    Conn& operator*() { return *conn_; }
    Conn* operator->() { return conn_.get(); }
    // True when the connection had been used before: it may have gone stale
    // while idle, so a connection failure on it is worth one retry.
    bool reused() const { return reused_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Conn> conn_;
    bool reused_;
  };

  // `kind` names the pool in the metrics ("postgres", "sqlite_readers"):
  // docrunch_db_pool_connections{pool=kind,state=open|in_use|max}, summed
  // over every pool of that kind in the process.
  ConnectionPool(int max_size, Opener open, HealthCheck healthy, std::string what,
                 std::string_view kind,
                 std::chrono::milliseconds max_wait = std::chrono::seconds(30))
      : max_size_(max_size < 1 ? 1 : max_size),
        open_(std::move(open)),
        healthy_(std::move(healthy)),
        what_(std::move(what)),
        max_wait_(max_wait),
        gauges_(obs::DbPoolGauges(kind)) {
    gauges_.max->Add(max_size_);
  }
  ~ConnectionPool() {
    std::lock_guard lock(mu_);
    gauges_.max->Add(-max_size_);
    gauges_.open->Add(-open_count_);
    gauges_.in_use->Add(-(open_count_ - static_cast<double>(idle_.size())));
  }

  // Puts an already-open connection (e.g. the one that proved the database
  // reachable) into the pool.
  void Adopt(std::unique_ptr<Conn> conn) {
    std::lock_guard lock(mu_);
    ++open_count_;
    gauges_.open->Add(1);
    idle_.push_back(std::move(conn));
  }

  // A connection, waiting up to max_wait for one to be free.
  Result<Lease> Acquire() {
    std::unique_lock lock(mu_);
    bool ready =
        cv_.wait_for(lock, max_wait_, [&] { return !idle_.empty() || open_count_ < max_size_; });
    if (!ready) {
      return MakeError(ErrorCode::kStorageUnavailable,
                       "all " + std::to_string(max_size_) + " connections to " + what_ +
                           " stayed busy for " + std::to_string(max_wait_.count() / 1000) + " s");
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      gauges_.in_use->Add(1);
      return Lease(this, std::move(conn), true);
    }
    ++open_count_;
    gauges_.open->Add(1);
    gauges_.in_use->Add(1);
    lock.unlock();  // connecting can take seconds; don't block other threads
    auto opened = open_();
    if (!opened) {
      gauges_.in_use->Add(-1);
      Forget();
      return opened.error();
    }
    return Lease(this, std::move(*opened), false);
  }

 private:
  void Release(std::unique_ptr<Conn> conn) {
    gauges_.in_use->Add(-1);
    if (!conn || !healthy_(*conn)) {
      conn.reset();
      Forget();
      return;
    }
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(conn));
    }
    cv_.notify_one();
  }

  void Forget() {
    {
      std::lock_guard lock(mu_);
      --open_count_;
      gauges_.open->Add(-1);
    }
    cv_.notify_one();
  }

  const int max_size_;
  const Opener open_;
  const HealthCheck healthy_;
  const std::string what_;
  const std::chrono::milliseconds max_wait_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;  // GUARDED_BY(mu_)
  int open_count_ = 0;                       // GUARDED_BY(mu_): idle + leased
  const obs::DbPoolGaugeSet gauges_;
};

}  // namespace docrunch::store
