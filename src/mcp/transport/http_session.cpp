#include "mcp/transport/http_session.h"

#include <charconv>

namespace docrunch::mcp {

std::optional<EventPosition> ParseEventId(const std::string& id) {
  auto dash = id.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == id.size()) return std::nullopt;
  EventPosition p;
  const char* end = id.data() + id.size();
  auto [s_end, s_ec] = std::from_chars(id.data(), id.data() + dash, p.stream);
  auto [q_end, q_ec] = std::from_chars(id.data() + dash + 1, end, p.seq);
  if (s_ec != std::errc() || s_end != id.data() + dash || q_ec != std::errc() || q_end != end ||
      p.stream <= 0 || p.seq < 0) {
    return std::nullopt;
  }
  return p;
}

HttpSession::HttpSession(std::string id, Identity identity, std::shared_ptr<McpServer> server)
    : id_(std::move(id)),
      identity_(std::move(identity)),
      server_(std::move(server)),
      last_used_(Clock::now()) {}

std::shared_ptr<HttpSession> HttpSession::Create(std::string id, Identity identity,
                                                 std::shared_ptr<McpServer> server) {
  std::shared_ptr<HttpSession> session(
      new HttpSession(std::move(id), std::move(identity), std::move(server)));
  std::weak_ptr<HttpSession> weak = session;
  session->server_->session().SetUnsolicitedSink([weak](const json& message) {
    if (auto live = weak.lock()) live->Unsolicited(message);
  });
  return session;
}

SseEvent HttpSession::Record(int number, Stream& stream, const json& message) {
  std::int64_t seq = stream.next_seq++;
  SseEvent event{std::to_string(number) + "-" + std::to_string(seq), message.dump()};
  stream.events.push_back(event);
  stream.seqs.push_back(seq);
  if (stream.events.size() > kReplay) {
    stream.events.pop_front();
    stream.seqs.pop_front();
  }
  return event;
}

void HttpSession::Prune() {
  // Drop the oldest streams nobody reads; their events can no longer be
  // resumed (a resume of them opens nothing and is refused).
  for (auto it = streams_.begin(); streams_.size() > kMaxStreams && it != streams_.end();) {
    if (it->second.reader == 0) {
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
}

StreamCursor HttpSession::OpenStream(bool standalone) {
  std::lock_guard lock(mutex_);
  int number = next_stream_++;
  Stream& stream = streams_[number];
  stream.standalone = standalone;
  stream.reader = next_reader_++;
  if (standalone) {
    for (const auto& m : pending_) Record(number, stream, m);
    pending_.clear();
  }
  Prune();
  return StreamCursor{number, stream.reader, 0};
}

std::optional<StreamCursor> HttpSession::ResumeStream(const EventPosition& from) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(from.stream);
  if (it == streams_.end() || closed_) return std::nullopt;
  it->second.reader = next_reader_++;
  cv_.notify_all();  // the previous reader, if any, ends
  return StreamCursor{from.stream, it->second.reader, from.seq};
}

std::optional<SseEvent> HttpSession::Append(StreamCursor& cursor, const json& message) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(cursor.stream);
  if (it == streams_.end() || closed_) return std::nullopt;
  SseEvent event = Record(cursor.stream, it->second, message);
  cv_.notify_all();
  if (it->second.reader != cursor.reader) return std::nullopt;
  cursor.after = it->second.next_seq - 1;
  return event;
}

void HttpSession::FinishStream(const StreamCursor& cursor) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(cursor.stream);
  if (it == streams_.end()) return;
  it->second.finished = true;
  cv_.notify_all();
}

StreamState HttpSession::Next(StreamCursor& cursor, std::chrono::milliseconds wait,
                              const std::atomic<bool>& stop, std::vector<SseEvent>& out) {
  out.clear();
  std::unique_lock lock(mutex_);
  auto collect = [&]() -> std::optional<StreamState> {
    auto it = streams_.find(cursor.stream);
    if (stop.load() || closed_ || it == streams_.end() || it->second.reader != cursor.reader) {
      return StreamState::kEnded;
    }
    const Stream& s = it->second;
    for (std::size_t i = 0; i < s.events.size(); ++i) {
      if (s.seqs[i] > cursor.after) out.push_back(s.events[i]);
    }
    if (!out.empty()) {
      cursor.after = s.next_seq - 1;
      return StreamState::kEvents;
    }
    if (s.finished) return StreamState::kEnded;
    return std::nullopt;
  };
  if (auto state = collect()) return *state;
  // Woken by any change of the session; re-check this stream each time.
  auto deadline = Clock::now() + wait;
  while (cv_.wait_until(lock, deadline) != std::cv_status::timeout) {
    if (auto state = collect()) return *state;
  }
  if (auto state = collect()) return *state;
  return StreamState::kIdle;
}

void HttpSession::Release(const StreamCursor& cursor) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(cursor.stream);
  if (it != streams_.end() && it->second.reader == cursor.reader) it->second.reader = 0;
  last_used_ = Clock::now();
}

void HttpSession::Unsolicited(const json& message) {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  // Each message goes to exactly one stream (the spec forbids broadcasting).
  int target = 0;
  for (auto it = streams_.rbegin(); it != streams_.rend(); ++it) {
    if (!it->second.standalone) continue;
    if (it->second.reader != 0) {
      target = it->first;
      break;
    }
    if (target == 0) target = it->first;  // the newest one, should none be read
  }
  if (target == 0) {
    pending_.push_back(message);
    if (pending_.size() > kReplay) pending_.pop_front();
    return;
  }
  Record(target, streams_[target], message);
  cv_.notify_all();
}

HttpSession::Busy::Busy(HttpSession& s) : session_(s) {
  std::lock_guard lock(s.mutex_);
  ++s.busy_;
  s.last_used_ = Clock::now();
}

HttpSession::Busy::~Busy() {
  std::lock_guard lock(session_.mutex_);
  --session_.busy_;
  session_.last_used_ = Clock::now();
}

bool HttpSession::IdleFor(Clock::time_point now, Clock::duration limit) const {
  std::lock_guard lock(mutex_);
  if (busy_ > 0) return false;
  for (const auto& [number, s] : streams_) {
    if (s.reader != 0) return false;
  }
  return now - last_used_ > limit;
}

void HttpSession::Close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  pending_.clear();
  cv_.notify_all();
}

bool HttpSession::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace docrunch::mcp
