// A counting semaphore that lets waiters through in the order they came.
//
// CPU-bound work that many threads want at once (every HTTP connection has
// a thread of its own) runs best a few at a time: with 32 searches on 2
// cores the scheduler shares the CPUs among all of them, so each takes 16
// times its own time and a search preempted while it holds a reader
// connection or a lock stalls the others. Through a gate with as many slots
// as cores each runs to its end nearly alone and the rest wait in line, so
// a call's latency is its place in the line, not the luck of the
// scheduler. Fair (first come, first served) so that no waiter starves.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace docrunch {

class FifoGate {
 public:
  // At most `slots` (at least 1) passes are held at a time.
  explicit FifoGate(std::size_t slots) : slots_(slots < 1 ? 1 : slots) {}
  FifoGate(const FifoGate&) = delete;
  FifoGate& operator=(const FifoGate&) = delete;

  // A held slot, given back when destroyed.
  class Pass {
   public:
    explicit Pass(FifoGate* gate) : gate_(gate) {}
    Pass(Pass&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Pass& operator=(Pass&&) = delete;
    ~Pass() {
      if (gate_) gate_->Leave();
    }

   private:
    FifoGate* gate_;
  };

  // Waits for a slot; those who asked before get theirs first.
  Pass Enter() {
    std::unique_lock lock(mu_);
    if (active_ < slots_ && waiting_.empty()) {
      ++active_;
      return Pass(this);
    }
    Waiter me;
    waiting_.push_back(&me);
    me.cv.wait(lock, [&] { return me.admitted; });
    return Pass(this);  // the slot was handed over: active_ already counts it
  }

  std::size_t slots() const { return slots_; }
  // How many wait in line now.
  std::size_t waiting() const {
    std::lock_guard lock(mu_);
    return waiting_.size();
  }

 private:
  struct Waiter {
    std::condition_variable cv;
    bool admitted = false;
  };
  void Leave() {
    std::lock_guard lock(mu_);
    if (waiting_.empty()) {
      --active_;
      return;
    }
    Waiter* next = waiting_.front();
    waiting_.pop_front();
    next->admitted = true;
    next->cv.notify_one();  // under the lock: `next` lives until it sees `admitted`
  }

  const std::size_t slots_;
  mutable std::mutex mu_;
  std::size_t active_ = 0;       // GUARDED_BY(mu_)
  std::deque<Waiter*> waiting_;  // GUARDED_BY(mu_); first come first
};

}  // namespace docrunch
