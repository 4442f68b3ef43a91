#include "mcp/transport/stdio_transport.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace docrunch::mcp {
namespace {

// Writes whole lines; one writer at a time so lines never interleave.
class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}
  void Write(const json& message) {
    std::string line = message.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    std::lock_guard lock(mutex_);
    std::size_t done = 0;
    while (done < line.size()) {
      ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the client went away; nothing left to tell it
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
  std::mutex mutex_;
};

class WorkerPool {
 public:
  WorkerPool(int n, Session& session, LineWriter& out) : session_(session), out_(out) {
    for (int i = 0; i < std::max(n, 1); ++i) threads_.emplace_back([this] { Work(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();  // finishes the queue first
  }
  void Submit(json message) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(message));
    }
    cv_.notify_one();
  }

 private:
  void Work() {
    Reply reply = [this](const json& m) { out_.Write(m); };
    for (;;) {
      json message;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) return;
        message = std::move(queue_.front());
        queue_.pop_front();
      }
      session_.Handle(message, reply);
    }
  }

  Session& session_;
  LineWriter& out_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<json> queue_;  // GUARDED_BY(mutex_)
  bool closing_ = false;    // GUARDED_BY(mutex_)
  std::vector<std::thread> threads_;
};

bool IsNotification(const json& m) {
  return m.is_object() && m.contains("method") && !m.contains("id");
}

}  // namespace

void ServeStdio(Session& session, int in_fd, int out_fd, const StdioOptions& options,
                const std::atomic<bool>& stop) {
  // Shared with the session's sink, which a change feed may still call
  // while we return.
  auto out = std::make_shared<LineWriter>(out_fd);
  Reply reply = [out](const json& m) { out->Write(m); };
  session.SetUnsolicitedSink(reply);
  auto pool = std::make_unique<WorkerPool>(options.workers, session, *out);
  std::string line;
  bool oversized = false;
  char buffer[64 * 1024];
  auto finish_line = [&] {
    if (oversized) {
      reply(MakeErrorResponse(nullptr, {rpc::kInvalidRequest,
                                        "Invalid Request: message exceeds " +
                                            std::to_string(options.max_message_bytes) + " bytes",
                                        nullptr}));
    } else if (line.find_first_not_of(" \t\r") != std::string::npos) {
      json message;
      if (auto refused = ParseMessage(line, message)) {
        reply(MakeErrorResponse(nullptr, *refused));
      } else if (IsNotification(message)) {
        session.Handle(message, reply);  // at once: a cancellation must overtake the queue
      } else {
        pool->Submit(std::move(message));
      }
    }
    line.clear();
    oversized = false;
  };
  while (!stop.load()) {
    pollfd p{in_fd, POLLIN, 0};
    int ready = ::poll(&p, 1, 200);  // wake up now and then to see `stop`
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = ::read(in_fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of input: the client is done
    for (ssize_t i = 0; i < n; ++i) {
      if (buffer[i] == '\n') {
        finish_line();
      } else if (!oversized) {
        line.push_back(buffer[i]);
        if (line.size() > options.max_message_bytes) {
          oversized = true;
          line.clear();
          line.shrink_to_fit();
        }
      }
    }
  }
  if (!line.empty() && !stop.load()) finish_line();
  pool.reset();  // runs the queued requests
  session.SetUnsolicitedSink(nullptr);
}

}  // namespace docrunch::mcp
