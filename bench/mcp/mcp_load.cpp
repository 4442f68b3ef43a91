// docrunch_mcp_load: the load generator of bench/mcp. N clients, each with
// its own MCP session, initialize and then send one request after another
// (closed loop: the next request leaves when the answer to the previous one
// arrived) for a warm-up and then a measured period. Prints one line:
//
//   clients=N requests=R rps=X p50_ms=Y p99_ms=Z errors=E gen_cpu=C total=T
//
// where gen_cpu is this process's CPU seconds per measured second (how much
// of a core the generator itself took) and total counts the answers of the
// warm-up too (for CPU per request).
//
//   docrunch_mcp_load --clients N --method ping|tool [--tool NAME]
//       [--args FILE] [--warmup S] [--duration S]
//       (--url http://127.0.0.1:PORT/mcp | --stdio -- COMMAND ARGS...)
//
// --args FILE: one JSON arguments object per line; client i starts at line i
// and moves one line on per call. HTTP: one keep-alive TCP connection per
// client (POST, Mcp-Session-Id, MCP-Protocol-Version); stdio: one child
// process per client (its own server), newline-delimited JSON over pipes.
//
// One thread and epoll for all clients, plain sockets, no JSON parsing of
// answers (a top-level scan finds "id"/"error"), so that the generator costs
// little next to the servers it measures. Any error answer counts in
// `errors`; the exit code is 1 when there was one.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "mcp_load: error: %s\n", message.c_str());
  std::exit(2);
}

struct Options {
  int clients = 1;
  std::string method = "ping";
  std::string tool = "search_docs";
  std::vector<std::string> args{"{}"};
  double warmup = 1;
  double duration = 5;
  std::string host, port, path;      // HTTP
  std::vector<std::string> command;  // stdio
};

// What matters of a JSON-RPC message at its top level.
struct TopLevel {
  bool has_id = false;
  long long id = -1;
  bool has_error = false;
  bool has_method = false;
};

// Scans the outermost object's keys without building a tree.
TopLevel ScanTopLevel(std::string_view s) {
  TopLevel out;
  int depth = 0;
  bool in_string = false;
  std::size_t key_start = 0;
  bool expect_key = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 1 && expect_key) {
          std::string_view key = s.substr(key_start, i - key_start);
          std::size_t colon = s.find(':', i);
          if (colon == std::string_view::npos) return out;
          if (key == "id") {
            out.has_id = true;
            std::size_t v = s.find_first_not_of(" \t", colon + 1);
            if (v != std::string_view::npos && (std::isdigit(s[v]) || s[v] == '-'))
              out.id = std::strtoll(s.data() + v, nullptr, 10);
          } else if (key == "error") {
            out.has_error = true;
          } else if (key == "method") {
            out.has_method = true;
          }
          expect_key = false;
        }
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        key_start = i + 1;
        break;
      case '{':
      case '[':
        ++depth;
        if (depth == 1) expect_key = true;
        break;
      case '}':
      case ']':
        --depth;
        break;
      case ',':
        if (depth == 1) expect_key = true;
        break;
      case ':':
        if (depth == 1) expect_key = false;
        break;
      default:
        break;
    }
  }
  return out;
}

bool IsErrorAnswer(std::string_view json) {
  // Inside JSON strings quotes are escaped, so this exact text can only be
  // the tool result's own flag.
  return ScanTopLevel(json).has_error || json.find("\"isError\":true") != std::string_view::npos;
}

void SetNonBlocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

// An HTTP/1.1 response parsed incrementally from a buffer.
struct HttpResponse {
  int status = 0;
  std::string session_id;
  std::string body;
  bool sse = false;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Takes one complete response off the front of `in`, if there is one.
std::optional<HttpResponse> TakeHttpResponse(std::string& in) {
  std::size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  HttpResponse r;
  std::size_t line_end = in.find("\r\n");
  if (in.compare(0, 5, "HTTP/") != 0) Die("not an HTTP response: " + in.substr(0, 80));
  r.status = std::atoi(in.c_str() + in.find(' ') + 1);
  long long length = -1;
  bool chunked = false;
  std::size_t pos = line_end + 2;
  while (pos < end) {
    std::size_t eol = in.find("\r\n", pos);
    std::string line = in.substr(pos, eol - pos);
    pos = eol + 2;
    std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = Lower(line.substr(0, colon));
    std::string value = line.substr(line.find_first_not_of(' ', colon + 1));
    if (name == "content-length") length = std::atoll(value.c_str());
    if (name == "transfer-encoding" && Lower(value).find("chunked") != std::string::npos)
      chunked = true;
    if (name == "mcp-session-id") r.session_id = value;
    if (name == "content-type" && Lower(value).find("text/event-stream") != std::string::npos)
      r.sse = true;
  }
  std::size_t body = end + 4;
  if (chunked) {
    std::size_t p = body;
    std::string out;
    for (;;) {
      std::size_t eol = in.find("\r\n", p);
      if (eol == std::string::npos) return std::nullopt;
      std::size_t size = std::strtoul(in.c_str() + p, nullptr, 16);
      if (in.size() < eol + 2 + size + 2) return std::nullopt;
      out.append(in, eol + 2, size);
      p = eol + 2 + size + 2;
      if (size == 0) break;
    }
    r.body = std::move(out);
    in.erase(0, p);
  } else {
    if (length < 0) length = 0;
    if (in.size() < body + static_cast<std::size_t>(length)) return std::nullopt;
    r.body = in.substr(body, static_cast<std::size_t>(length));
    in.erase(0, body + static_cast<std::size_t>(length));
  }
  if (r.sse) {  // the answer is the data of the last event that carries one
    std::string data;
    std::size_t p = 0;
    while ((p = r.body.find("data:", p)) != std::string::npos) {
      std::size_t eol = r.body.find('\n', p);
      data = r.body.substr(p + 5, eol - p - 5);
      p = eol;
    }
    r.body = data;
  }
  return r;
}

struct Client {
  int in_fd = -1;   // what we read answers from
  int out_fd = -1;  // what we write requests to (same socket for HTTP)
  pid_t child = 0;
  std::string session_id;
  std::string protocol = "2025-11-25";
  std::string out;
  std::size_t written = 0;
  std::string in;
  long long next_id = 1;
  long long pending_id = -1;
  Clock::time_point sent;
  std::size_t arg_index = 0;
  bool busy = false;
};

class Load {
 public:
  explicit Load(Options o) : o_(std::move(o)) {}

  int Run();

 private:
  bool http() const { return o_.command.empty(); }
  std::string Frame(const Client& c, const std::string& body, const char* method = "POST") const;
  std::string Call(Client& c, long long id);
  void Connect(Client& c, int index);
  void WriteAll(int fd, const std::string& data);
  std::string ReadAnswer(Client& c, long long id);  // blocking; the JSON text
  void Send(Client& c);
  // Takes a complete answer to the pending request off `c.in`, if any.
  std::optional<std::string> TakeAnswer(Client& c);

  Options o_;
  std::vector<Client> clients_;
};

std::string Load::Frame(const Client& c, const std::string& body, const char* method) const {
  if (!http()) return body + "\n";
  std::string f = std::string(method) + " " + o_.path + " HTTP/1.1\r\nHost: " + o_.host + ":" +
                  o_.port +
                  "\r\nContent-Type: application/json\r\n"
                  "Accept: application/json, text/event-stream\r\n";
  if (!c.session_id.empty()) {
    f += "Mcp-Session-Id: " + c.session_id + "\r\nMCP-Protocol-Version: " + c.protocol + "\r\n";
  }
  f += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return f;
}

std::string Load::Call(Client& c, long long id) {
  std::string prefix = "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(id);
  if (o_.method == "ping") return Frame(c, prefix + ",\"method\":\"ping\"}");
  const std::string& args = o_.args[c.arg_index++ % o_.args.size()];
  return Frame(c, prefix + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + o_.tool +
                      "\",\"arguments\":" + args + "}}");
}

void Load::WriteAll(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die(std::string("write: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

std::optional<std::string> Load::TakeAnswer(Client& c) {
  if (http()) {
    auto r = TakeHttpResponse(c.in);
    if (!r) return std::nullopt;
    if (r->status == 202) return std::string("{}");
    if (!r->session_id.empty()) c.session_id = r->session_id;
    if (r->status != 200) return "{\"error\":\"HTTP " + std::to_string(r->status) + "\"}";
    return r->body;
  }
  for (;;) {
    std::size_t eol = c.in.find('\n');
    if (eol == std::string::npos) return std::nullopt;
    std::string line = c.in.substr(0, eol);
    c.in.erase(0, eol + 1);
    TopLevel t = ScanTopLevel(line);
    if (t.has_method) continue;  // a notification or a request from the server
    if (t.has_id && t.id == c.pending_id) return line;
  }
}

std::string Load::ReadAnswer(Client& c, long long id) {
  c.pending_id = id;
  char buffer[65536];
  for (;;) {
    if (auto a = TakeAnswer(c)) return *a;
    ssize_t n = ::read(c.in_fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die("the server closed the connection during set-up");
    c.in.append(buffer, static_cast<std::size_t>(n));
  }
}

void Load::Connect(Client& c, int index) {
  c.arg_index = static_cast<std::size_t>(index);
  if (http()) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(o_.host.c_str(), o_.port.c_str(), &hints, &found) != 0 || !found)
      Die("cannot resolve " + o_.host);
    int fd = ::socket(found->ai_family, SOCK_STREAM, 0);
    if (::connect(fd, found->ai_addr, found->ai_addrlen) != 0)
      Die("cannot connect to " + o_.host + ":" + o_.port + ": " + std::strerror(errno));
    freeaddrinfo(found);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.in_fd = c.out_fd = fd;
  } else {
    int to_child[2], from_child[2];
    // Close-on-exec, so that no child keeps another child's pipes open.
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) Die("pipe failed");
    pid_t pid = fork();
    if (pid < 0) Die("fork failed");
    if (pid == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[0]), close(to_child[1]), close(from_child[0]), close(from_child[1]);
      std::vector<char*> argv;
      for (auto& a : o_.command) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(to_child[0]), close(from_child[1]);
    c.child = pid;
    c.in_fd = from_child[0];
    c.out_fd = to_child[1];
  }
  long long id = c.next_id++;
  WriteAll(c.out_fd,
           Frame(c, "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(id) +
                        ",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                        "\"capabilities\":{},\"clientInfo\":{\"name\":\"docrunch-mcp-load\","
                        "\"version\":\"1\"}}}"));
  std::string answer = ReadAnswer(c, id);
  if (IsErrorAnswer(answer)) Die("initialize failed: " + answer);
  std::size_t v = answer.find("\"protocolVersion\":\"");
  if (v != std::string::npos) {
    v += 19;
    c.protocol = answer.substr(v, answer.find('"', v) - v);
  }
  if (http() && c.session_id.empty()) Die("no Mcp-Session-Id in the initialize answer");
  WriteAll(c.out_fd, Frame(c, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
  if (http()) {  // 202 Accepted, no body
    c.pending_id = -1;
    char buffer[4096];
    while (!TakeHttpResponse(c.in)) {
      ssize_t n = ::read(c.in_fd, buffer, sizeof buffer);
      if (n <= 0) Die("the server closed the connection after initialize");
      c.in.append(buffer, static_cast<std::size_t>(n));
    }
  }
}

void Load::Send(Client& c) {
  c.pending_id = c.next_id++;
  c.out = Call(c, c.pending_id);
  c.written = 0;
  c.sent = Clock::now();
  c.busy = true;
  while (c.written < c.out.size()) {
    ssize_t n = ::write(c.out_fd, c.out.data() + c.written, c.out.size() - c.written);
    if (n < 0 && errno == EAGAIN) return;  // the rest when writable
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die(std::string("write: ") + std::strerror(errno));
    c.written += static_cast<std::size_t>(n);
  }
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int Load::Run() {
  signal(SIGPIPE, SIG_IGN);
  clients_.resize(static_cast<std::size_t>(o_.clients));
  for (int i = 0; i < o_.clients; ++i) Connect(clients_[static_cast<std::size_t>(i)], i);

  int ep = epoll_create1(0);
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    Client& c = clients_[i];
    SetNonBlocking(c.in_fd, true);
    if (c.out_fd != c.in_fd) SetNonBlocking(c.out_fd, true);
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = i * 2;
    epoll_ctl(ep, EPOLL_CTL_ADD, c.in_fd, &e);
  }
  auto start = Clock::now();
  auto measure_from =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.warmup));
  auto measure_to = measure_from + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(o_.duration));
  std::vector<double> latencies;
  latencies.reserve(1 << 20);
  long long errors = 0, total = 0;
  std::string first_error;
  double cpu_at_start = 0;
  bool measuring = false;
  for (auto& c : clients_) Send(c);
  std::vector<epoll_event> events(clients_.size() + 1);
  char buffer[65536];
  for (;;) {
    auto now = Clock::now();
    if (!measuring && now >= measure_from) {
      measuring = true;
      cpu_at_start = CpuSeconds();
    }
    if (now >= measure_to) break;
    // Finish partial writes (large requests on a full pipe).
    for (auto& c : clients_) {
      while (c.busy && c.written < c.out.size()) {
        ssize_t n = ::write(c.out_fd, c.out.data() + c.written, c.out.size() - c.written);
        if (n <= 0) break;
        c.written += static_cast<std::size_t>(n);
      }
    }
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
    for (int k = 0; k < n; ++k) {
      Client& c = clients_[events[static_cast<std::size_t>(k)].data.u64 / 2];
      for (;;) {
        ssize_t got = ::read(c.in_fd, buffer, sizeof buffer);
        if (got > 0) {
          c.in.append(buffer, static_cast<std::size_t>(got));
          continue;
        }
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) break;
        Die(got == 0 ? "the server closed a connection" : std::strerror(errno));
      }
      while (c.busy) {
        auto answer = TakeAnswer(c);
        if (!answer) break;
        auto done = Clock::now();
        c.busy = false;
        ++total;
        if (IsErrorAnswer(*answer)) {
          if (first_error.empty()) first_error = answer->substr(0, 300);
          ++errors;
        }
        if (done >= measure_from && done < measure_to) {
          latencies.push_back(std::chrono::duration<double, std::milli>(done - c.sent).count());
        }
        if (done < measure_to) Send(c);
      }
    }
  }
  double cpu = CpuSeconds() - cpu_at_start;
  std::sort(latencies.begin(), latencies.end());
  std::printf(
      "clients=%d requests=%zu rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%lld gen_cpu=%.2f "
      "total=%lld\n",
      o_.clients, latencies.size(), static_cast<double>(latencies.size()) / o_.duration,
      Percentile(latencies, 0.50), Percentile(latencies, 0.99), errors, cpu / o_.duration, total);
  std::fflush(stdout);
  if (!first_error.empty())
    std::fprintf(stderr, "mcp_load: first error: %s\n", first_error.c_str());
  // End the sessions: HTTP DELETE (after the last answer), stdio EOF.
  for (auto& c : clients_) {
    SetNonBlocking(c.in_fd, false);
    if (c.out_fd != c.in_fd) SetNonBlocking(c.out_fd, false);
    if (http()) {
      if (c.busy) {
        while (c.written < c.out.size()) {
          ssize_t w = ::write(c.out_fd, c.out.data() + c.written, c.out.size() - c.written);
          if (w <= 0) break;
          c.written += static_cast<std::size_t>(w);
        }
        ReadAnswer(c, c.pending_id);
      }
      WriteAll(c.out_fd, Frame(c, "", "DELETE"));
      char b[4096];
      while (!TakeHttpResponse(c.in)) {
        ssize_t r = ::read(c.in_fd, b, sizeof b);
        if (r <= 0) break;
        c.in.append(b, static_cast<std::size_t>(r));
      }
      close(c.in_fd);
    } else {
      close(c.out_fd);
      close(c.in_fd);
      waitpid(c.child, nullptr, 0);
    }
  }
  return errors > 0 ? 1 : 0;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--clients") {
      o.clients = std::atoi(value().c_str());
    } else if (a == "--method") {
      o.method = value();
    } else if (a == "--tool") {
      o.tool = value();
    } else if (a == "--args") {
      std::string file = value();
      std::ifstream in(file);
      if (!in) Die("--args: cannot read " + file);
      o.args.clear();
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) o.args.push_back(line);
      }
      if (o.args.empty()) Die("--args: " + file + " has no lines");
    } else if (a == "--warmup") {
      o.warmup = std::atof(value().c_str());
    } else if (a == "--duration") {
      o.duration = std::atof(value().c_str());
    } else if (a == "--url") {
      std::string url = value();
      if (url.rfind("http://", 0) != 0) Die("--url: only http:// URLs");
      std::string rest = url.substr(7);
      std::size_t slash = rest.find('/');
      o.path = slash == std::string::npos ? "/" : rest.substr(slash);
      std::string hostport = rest.substr(0, slash);
      std::size_t colon = hostport.rfind(':');
      if (colon == std::string::npos) Die("--url: needs a port");
      o.host = hostport.substr(0, colon);
      o.port = hostport.substr(colon + 1);
    } else if (a == "--stdio") {
      if (i + 1 < argc && std::string(argv[i + 1]) == "--") ++i;
      for (++i; i < argc; ++i) o.command.push_back(argv[i]);
    } else {
      Die("unknown argument " + a + " (see the header of bench/mcp/mcp_load.cpp)");
    }
  }
  if (o.clients < 1 || o.clients > 1024) Die("--clients: 1..1024");
  if (o.method != "ping" && o.method != "tool") Die("--method: ping or tool");
  if (o.duration <= 0 || o.warmup < 0) Die("--duration must be > 0, --warmup >= 0");
  if (o.host.empty() == o.command.empty()) Die("give exactly one of --url and --stdio");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  return Load(ParseArgs(argc, argv)).Run();
}
