#include "core/task_thread.h"

namespace docrunch {

TaskThread::TaskThread() : thread_([this] { Loop(); }) {}

TaskThread::~TaskThread() {
  {
    std::unique_lock lock(mu_);
    done_.wait(lock, [this] { return !task_ && !running_; });
    stop_ = true;
  }
  posted_.notify_one();
  thread_.join();
}

void TaskThread::Post(std::function<void()> task) {
  {
    std::unique_lock lock(mu_);
    done_.wait(lock, [this] { return !task_ && !running_; });
    task_ = std::move(task);
  }
  posted_.notify_one();
}

void TaskThread::Wait() {
  std::unique_lock lock(mu_);
  done_.wait(lock, [this] { return !task_ && !running_; });
}

void TaskThread::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    posted_.wait(lock, [this] { return task_ || stop_; });
    if (!task_) return;  // stopped with nothing left to run
    std::function<void()> task = std::move(task_);
    task_ = nullptr;
    running_ = true;
    lock.unlock();
    try {
      task();
    } catch (...) {
    }
    lock.lock();
    running_ = false;
    done_.notify_all();
  }
}

}  // namespace docrunch
