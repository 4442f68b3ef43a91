// The only translation unit with Boost.Beast/Asio (they are heavy to
// compile). <utility> must come before any Asio header with g++ 12 in C++20.
#include <utility>
// clang-format off
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/websocket.hpp>
// clang-format on
#include <poll.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <mutex>
#include <thread>

#include "http/server.h"

#include <string.h>

namespace docrunch::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCodeT = boost::system::error_code;
using BeastRequest = bhttp::request<bhttp::string_body>;
using BeastResponse = bhttp::response<bhttp::string_body>;

// How long a request body may take after its headers, one write may stall,
// and a kept-alive connection may wait for its next request.
constexpr auto kBodyTimeout = std::chrono::seconds(60);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
constexpr auto kKeepAliveIdle = std::chrono::seconds(30);
// A WebSocket handshake, and a message once it starts arriving, must be
// complete this fast.
constexpr auto kFrameTimeout = std::chrono::seconds(10);
constexpr auto kMessageTimeout = std::chrono::seconds(30);
constexpr std::size_t kWebSocketMaxMessage = 1024 * 1024;

bool Equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A non-blocking socket that waits with poll(), so every read has a
// deadline and every write a timeout (a blocking Asio socket retries
// EAGAIN forever, which would let a slow client hold its thread), and so a
// stop of the server ends any wait within 200 ms. Beast reads and writes
// through it as a SyncStream.
class TimedSocket {
 public:
  using executor_type = tcp::socket::executor_type;

  TimedSocket(tcp::socket socket, const std::atomic<bool>& stop)
      : socket_(std::move(socket)), stop_(stop) {
    ErrorCodeT ec;
    socket_.non_blocking(true, ec);
  }
  executor_type get_executor() { return socket_.get_executor(); }
  int native_handle() { return socket_.native_handle(); }
  void read_deadline(Clock::time_point deadline) { read_deadline_ = deadline; }
  // Whether bytes arrive before `deadline`.
  bool WaitReadable(Clock::time_point deadline) {
    ErrorCodeT ec;
    return Wait(POLLIN, deadline, ec);
  }
  void Shutdown() {
    ErrorCodeT ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
  }
  void ShutdownSend() {
    ErrorCodeT ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }
  void Close() {
    ErrorCodeT ec;
    socket_.close(ec);
  }

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, ErrorCodeT& ec) {
    for (;;) {
      std::size_t n = socket_.read_some(buffers, ec);
      if (ec != net::error::would_block && ec != net::error::try_again) return n;
      if (!Wait(POLLIN, read_deadline_, ec)) return 0;
    }
  }
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    ErrorCodeT ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers, ErrorCodeT& ec) {
    auto deadline = Clock::now() + kWriteTimeout;
    for (;;) {
      std::size_t n = socket_.write_some(buffers, ec);
      if (ec != net::error::would_block && ec != net::error::try_again) return n;
      if (!Wait(POLLOUT, deadline, ec)) return 0;
    }
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers) {
    ErrorCodeT ec;
    std::size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  // Waits for the socket or `other` (a wake fd, -1 for none) to become
  // readable. 1: socket, 2: other, 0: deadline or stop, -1: error.
  int WaitEither(int other, Clock::time_point deadline) {
    for (;;) {
      if (stop_.load()) return 0;
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return 0;
      pollfd p[2] = {{socket_.native_handle(), POLLIN, 0}, {other, POLLIN, 0}};
      int r = ::poll(p, other >= 0 ? 2 : 1, static_cast<int>(std::min<long long>(left, 200)));
      if (r < 0 && errno != EINTR) return -1;
      if (r <= 0) continue;
      if (p[0].revents != 0) return 1;
      if (other >= 0 && p[1].revents != 0) return 2;
    }
  }

 private:
  bool Wait(short events, Clock::time_point deadline, ErrorCodeT& ec) {
    for (;;) {
      if (stop_.load()) {
        ec = net::error::operation_aborted;
        return false;
      }
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        ec = net::error::timed_out;
        return false;
      }
      pollfd p{socket_.native_handle(), events, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 200)));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) {
        ec = ErrorCodeT(errno, boost::system::system_category());
        return false;
      }
    }
  }

  tcp::socket socket_;
  const std::atomic<bool>& stop_;
  Clock::time_point read_deadline_ = Clock::now();
};

// Beast's WebSocket close handshake ends the transport through this
// customization point (found by argument-dependent lookup).
void teardown(beast::role_type, TimedSocket& socket, ErrorCodeT& ec) {
  socket.Shutdown();
  ec = {};
}

// `head`: the answer to a HEAD request, its headers alone (Content-Length
// still says how long the body of a GET would be).
BeastResponse ToBeast(Response&& r, unsigned version, bool keep_alive, bool head = false) {
  BeastResponse res{static_cast<bhttp::status>(r.status), version};
  for (const auto& [name, value] : r.headers) res.insert(name, value);
  res.keep_alive(keep_alive && !r.close);
  if (head) {
    res.content_length(r.body.size());
  } else {
    res.body() = std::move(r.body);
    res.prepare_payload();
  }
  return res;
}

class ChunkStream final : public BodyStream {
 public:
  ChunkStream(TimedSocket& socket, const Response& head, unsigned version) : socket_(socket) {
    bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(head.status), version};
    for (const auto& [name, value] : head.headers) res.insert(name, value);
    res.chunked(true);
    // The connection closes when the stream ends; saying so keeps a client
    // from reusing it for its next request and meeting a closed socket.
    res.keep_alive(false);
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    ErrorCodeT ec;
    bhttp::write_header(socket_, sr, ec);
    ok_ = !ec;
  }
  bool Send(const std::string& chunk) override {
    std::lock_guard lock(mutex_);
    if (!ok_ || chunk.empty()) return ok_;
    ErrorCodeT ec;
    net::write(socket_, bhttp::make_chunk(net::buffer(chunk)), ec);
    ok_ = !ec;
    return ok_;
  }
  void Finish() {
    std::lock_guard lock(mutex_);
    if (!ok_) return;
    ErrorCodeT ec;
    net::write(socket_, bhttp::make_chunk_last(), ec);
  }

 private:
  TimedSocket& socket_;
  std::mutex mutex_;
  bool ok_ = false;
};

class BeastWebSocket final : public WebSocket {
 public:
  explicit BeastWebSocket(TimedSocket& socket) : socket_(socket), ws_(socket) {
    ws_.read_message_max(kWebSocketMaxMessage);
    ws_.auto_fragment(false);
  }
  websocket::stream<TimedSocket&>& stream() { return ws_; }

  Wait WaitFor(int wake_fd, std::chrono::milliseconds timeout) override {
    if (closed_) return Wait::kClosed;
    if (buffer_.size() > 0) return Wait::kReadable;
    switch (socket_.WaitEither(wake_fd, Clock::now() + timeout)) {
      case 1:
        return Wait::kReadable;
      case 2:
        return Wait::kWoken;
      case 0:
        return Wait::kTimeout;
      default:
        closed_ = true;
        return Wait::kClosed;
    }
  }
  bool Read(std::string& message) override {
    if (closed_) return false;
    socket_.read_deadline(Clock::now() + kMessageTimeout);
    ErrorCodeT ec;
    buffer_.clear();
    ws_.read(buffer_, ec);
    if (ec) {
      closed_ = true;
      return false;
    }
    message = beast::buffers_to_string(buffer_.data());
    buffer_.clear();
    return true;
  }
  bool Send(const std::string& text) override {
    if (closed_) return false;
    ErrorCodeT ec;
    ws_.text(true);
    ws_.write(net::buffer(text), ec);
    if (ec) closed_ = true;
    return !closed_;
  }
  void Close(std::string_view reason) override {
    if (closed_) return;
    closed_ = true;
    ErrorCodeT ec;
    websocket::close_reason why(websocket::close_code::normal);
    why.reason = std::string(reason.substr(0, 120));
    ws_.close(why, ec);
  }

 private:
  TimedSocket& socket_;
  websocket::stream<TimedSocket&> ws_;
  beast::flat_buffer buffer_;
  bool closed_ = false;
};

class ConnectionExchange final : public Exchange {
 public:
  ConnectionExchange(TimedSocket& socket, BeastRequest& request, const std::atomic<bool>& stop)
      : socket_(socket), request_(request), stop_(stop) {}

  void Stream(const Response& head, const std::function<void(BodyStream&)>& body) override {
    taken_ = true;
    ChunkStream stream(socket_, head, request_.version());
    body(stream);
    stream.Finish();
  }
  bool IsWebSocketUpgrade() const override { return websocket::is_upgrade(request_); }
  bool AcceptWebSocket(const Headers& headers,
                       const std::function<void(WebSocket&)>& session) override {
    taken_ = true;
    BeastWebSocket ws(socket_);
    ws.stream().set_option(
        websocket::stream_base::decorator([&headers](websocket::response_type& res) {
          for (const auto& [name, value] : headers) res.set(name, value);
        }));
    socket_.read_deadline(Clock::now() + kFrameTimeout);
    ErrorCodeT ec;
    ws.stream().accept(request_, ec);
    if (ec) return false;
    session(ws);
    ws.Close("server closing");
    return true;
  }
  const std::atomic<bool>& stopping() const override { return stop_; }
  bool taken() const { return taken_; }

 private:
  TimedSocket& socket_;
  BeastRequest& request_;
  const std::atomic<bool>& stop_;
  bool taken_ = false;
};

Request ToRequest(BeastRequest& req, const std::string& remote) {
  Request out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  auto q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string::npos) out.query = out.target.substr(q + 1);
  for (const auto& field : req) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(req.body());
  out.remote = remote;
  out.keep_alive = req.keep_alive();
  return out;
}

class Server {
 public:
  Server(const Listener& listener, const std::atomic<bool>& stop)
      : listener_(listener), stop_(stop) {}
  void Connection(tcp::socket socket);
  const Listener& listener() const { return listener_; }
  std::atomic<std::size_t> active{0};

 private:
  // The listener's failure answer, or plain text.
  Response Failure(int status, const std::string& message) const {
    if (listener_.failure) return listener_.failure(status, message);
    Response r;
    r.status = status;
    r.Set("Content-Type", "text/plain");
    r.body = message;
    return r;
  }
  void RefuseOversized(TimedSocket& socket);

  const Listener& listener_;
  const std::atomic<bool>& stop_;
};

// 413, then read and drop what the client still sends for a moment, so it
// sees the answer instead of a reset connection.
void Server::RefuseOversized(TimedSocket& socket) {
  Response r = Failure(413, "Payload Too Large: the limit is " +
                                std::to_string(listener_.max_body_bytes) + " bytes");
  r.close = true;
  BeastResponse res = ToBeast(std::move(r), 11, false);
  ErrorCodeT ec;
  bhttp::write(socket, res, ec);
  socket.ShutdownSend();
  socket.read_deadline(Clock::now() + std::chrono::seconds(5));
  char sink[64 * 1024];
  for (std::size_t total = 0; !ec && total < 64 * 1024 * 1024;) {
    total += socket.read_some(net::buffer(sink), ec);
  }
}

// The connection's read buffer keeps the bytes of the requests it read
// (a provider key in a JSON body among them) until later ones overwrite
// them: once a request is parsed and nothing more is waiting in it, its
// whole storage is zeroed.
void WipeReadBuffer(beast::flat_buffer& buffer) {
  if (buffer.size() != 0) return;  // a pipelined request is waiting
  buffer.clear();
  auto storage = buffer.prepare(buffer.capacity());
  explicit_bzero(storage.data(), storage.size());
}

void Server::Connection(tcp::socket raw) {
  std::string remote;
  {
    ErrorCodeT ec;
    auto endpoint = raw.remote_endpoint(ec);
    if (!ec) remote = endpoint.address().to_string();
  }
  TimedSocket socket(std::move(raw), stop_);
  beast::flat_buffer buffer;
  ErrorCodeT ec;
  for (bool first = true; !stop_.load(); first = false) {
    // A kept-alive connection may wait a while for its next request; once
    // it starts (and always for the first one), the headers must be
    // complete within header_timeout, so slow senders cannot hold threads.
    if (!first && buffer.size() == 0 && !socket.WaitReadable(Clock::now() + kKeepAliveIdle)) break;
    socket.read_deadline(Clock::now() + listener_.header_timeout);
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(listener_.max_body_bytes);
    parser.header_limit(16 * 1024);
    bhttp::read_header(socket, buffer, parser, ec);
    if (!ec) {
      socket.read_deadline(Clock::now() + kBodyTimeout);
      bhttp::read(socket, buffer, parser, ec);
    }
    if (ec == bhttp::error::body_limit) {
      RefuseOversized(socket);
      break;
    }
    if (ec) break;
    BeastRequest beast_req = parser.release();
    WipeReadBuffer(buffer);
    unsigned version = beast_req.version();
    ConnectionExchange exchange(socket, beast_req, stop_);
    Request req = ToRequest(beast_req, remote);
    Response res;
    try {
      res = listener_.handler(req, exchange);
    } catch (const std::exception& e) {
      spdlog::error("{}: {} {} failed: {}", listener_.name, req.method, req.path, e.what());
      if (exchange.taken()) break;
      res = Failure(500, "Internal Server Error");
      res.close = true;
    }
    if (exchange.taken()) break;  // a stream or WebSocket ends the connection when it ends
    bool keep = false;
    if (res.shared_body && req.method != "HEAD") {
      // A body kept by the handler (a cached answer, a dashboard file):
      // written from where it is, not copied.
      bhttp::response<bhttp::span_body<const char>> out{static_cast<bhttp::status>(res.status),
                                                        version};
      for (const auto& [name, value] : res.headers) out.insert(name, value);
      out.keep_alive(req.keep_alive && !res.close);
      out.body() = {res.shared_body->data(), res.shared_body->size()};
      out.prepare_payload();
      keep = out.keep_alive();
      bhttp::write(socket, out, ec);
    } else {
      if (res.shared_body) res.body = *res.shared_body;
      BeastResponse out = ToBeast(std::move(res), version, req.keep_alive, req.method == "HEAD");
      keep = out.keep_alive();
      bhttp::write(socket, out, ec);
    }
    if (ec || !keep) break;
  }
  socket.Shutdown();
}

struct Bound {
  const Listener* listener = nullptr;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::shared_ptr<Server> server;
  Clock::time_point next_tick;
};

// Runs one accepted connection on a thread of its own, or closes it when
// the listener is full or no thread can be started.
void Dispatch(const std::shared_ptr<Server>& server, tcp::socket socket) {
  if (server->active.load() >= server->listener().max_connections) {
    ErrorCodeT ec;
    socket.close(ec);
    return;
  }
  server->active++;
  try {
    std::thread([server, s = std::move(socket)]() mutable {
      server->Connection(std::move(s));
      server->active--;
    }).detach();
  } catch (const std::system_error& e) {
    server->active--;
    spdlog::warn("{}: cannot start a thread for a connection: {}", server->listener().name,
                 e.what());
  }
}

}  // namespace

std::string Request::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (Equal(n, name)) return v;
  }
  return "";
}

Response& Response::Set(std::string_view name, std::string value) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& h) { return Equal(h.first, name); }),
                headers.end());
  headers.emplace_back(std::string(name), std::move(value));
  return *this;
}

std::string HostName(std::string value) {
  auto scheme = value.find("://");
  if (scheme != std::string::npos) value = value.substr(scheme + 3);
  value = value.substr(0, value.find('/'));
  if (!value.empty() && value[0] == '[') return value.substr(0, value.find(']') + 1);
  return value.substr(0, value.find(':'));
}

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

std::string_view StatusText(int status) {
  auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  return {reason.data(), reason.size()};
}

Result<void> Serve(const std::vector<Listener>& listeners, const std::atomic<bool>& stop,
                   const std::function<void(const Listener&, int port)>& on_listening) {
  if (sodium_init() < 0) return MakeError(ErrorCode::kInternal, "libsodium failed to initialize");
  net::io_context io;
  std::vector<Bound> bound;
  for (const auto& listener : listeners) {
    ErrorCodeT ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(listener.host, std::to_string(listener.port), ec);
    if (ec || endpoints.empty()) {
      return MakeError(ErrorCode::kConfigInvalid,
                       listener.name + ": cannot resolve host " + listener.host);
    }
    tcp::endpoint endpoint = endpoints.begin()->endpoint();
    auto acceptor = std::make_unique<tcp::acceptor>(io);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return MakeError(ErrorCode::kIo, listener.name + ": cannot listen on " + listener.host + ":" +
                                           std::to_string(listener.port) + ": " + ec.message());
    }
    bound.push_back({&listener, std::move(acceptor), std::make_shared<Server>(listener, stop),
                     Clock::now() + listener.tick_every});
  }
  for (auto& b : bound) on_listening(*b.listener, b.acceptor->local_endpoint().port());

  std::vector<pollfd> fds(bound.size());
  while (!stop.load()) {
    auto now = Clock::now();
    for (auto& b : bound) {
      if (b.listener->tick && now >= b.next_tick) {
        b.listener->tick();
        b.next_tick = now + b.listener->tick_every;
      }
    }
    for (std::size_t i = 0; i < bound.size(); ++i) {
      fds[i] = {bound[i].acceptor->native_handle(), POLLIN, 0};
    }
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (std::size_t i = 0; i < bound.size(); ++i) {
      if (fds[i].revents == 0) continue;
      tcp::socket socket(io);
      ErrorCodeT ec;
      bound[i].acceptor->accept(socket, ec);
      if (!ec) Dispatch(bound[i].server, std::move(socket));
    }
  }
  for (auto& b : bound) {
    if (b.listener->on_stop) b.listener->on_stop();
  }
  // Every wait of a connection checks `stop` at least every 200 ms; a
  // handler in the middle of its work finishes it first.
  auto active = [&bound] {
    std::size_t n = 0;
    for (auto& b : bound) n += b.server->active.load();
    return n;
  };
  for (auto waited = Clock::now(); active() > 0;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (Clock::now() - waited > std::chrono::seconds(10)) {
      spdlog::warn("waiting for {} connection(s) to end", active());
      waited = Clock::now();
    }
  }
  return Ok();
}

}  // namespace docrunch::http
