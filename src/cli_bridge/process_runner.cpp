#include "cli_bridge/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace docrunch::cli_bridge {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

struct Pipes {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~Pipes() {
    for (int* p : {in, out, err}) CloseFd(p[0]), CloseFd(p[1]);
  }
  bool Open() {
    return ::pipe2(in, O_CLOEXEC) == 0 && ::pipe2(out, O_CLOEXEC) == 0 &&
           ::pipe2(err, O_CLOEXEC) == 0;
  }
};

// Starts argv in its own process group with the pipes as its stdio.
int Spawn(const RunOptions& o, Pipes& pipes, pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipes.in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, pipes.out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipes.err[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);

  std::vector<char*> argv;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (o.env) {
    for (const auto& e : *o.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  int rc = ::posix_spawn(&pid, o.argv[0].c_str(), &actions, &attr, argv.data(),
                         o.env ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc;
}

// Reads what is there into `keep` up to `cap`; false at end of file.
bool Drain(int fd, std::string& keep, std::size_t cap, bool& truncated, std::size_t* total) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      std::size_t got = static_cast<std::size_t>(n);
      if (total) *total += got;
      std::size_t room = keep.size() < cap ? cap - keep.size() : 0;
      keep.append(buf, std::min(room, got));
      if (got > room) truncated = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // EOF or an error: either way nothing more comes
  }
}

// Whether the leader has exited, without reaping it (the zombie holds the
// process group id until KillGroupAndReap).
bool LeaderExited(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;
  }
  return info.si_pid == pid;
}

// SIGPIPE blocked on this thread while the runner writes to the child;
// restored (and a pending one consumed) on destruction.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_, old_;
};

class Run {
 public:
  Run(const RunOptions& o, pid_t pid, Pipes& pipes, RunOutcome& r)
      : o_(o), pid_(pid), r_(r), start_(Steady::now()) {
    in_ = pipes.in[1], pipes.in[1] = -1;
    out_ = pipes.out[0], pipes.out[0] = -1;
    err_ = pipes.err[0], pipes.err[0] = -1;
    for (int fd : {in_, out_, err_}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    deadline_ = start_ + o.timeout;
    if (o.input.empty()) CloseFd(in_);
  }
  ~Run() {
    for (int* fd : {&in_, &out_, &err_, &pidfd_}) CloseFd(*fd);
  }

  void Loop() {
    for (;;) {
      auto now = Steady::now();
      CheckClock(now);
      if (!exited_ && LeaderExited(pid_)) {
        exited_ = true;
        drain_until_ = now + o_.drain_grace;
        CloseFd(in_);
      }
      if (exited_ && ((out_ < 0 && err_ < 0) || now >= drain_until_)) return;
      PollOnce(now);
    }
  }

  void Finish() {
    ::kill(-pid_, SIGKILL);  // the rest of the group; the zombie leader keeps the id ours
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) r_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r_.term_signal = WTERMSIG(status);
    r_.elapsed = std::chrono::duration_cast<milliseconds>(Steady::now() - start_);
  }

 private:
  void CheckClock(Steady::time_point now) {
    if (!exited_ && !r_.timed_out && now >= deadline_) {
      r_.timed_out = true;
      ::kill(-pid_, SIGTERM);
      kill_at_ = now + o_.kill_grace;
      CloseFd(in_);
    }
    if (r_.timed_out && !killed_ && now >= kill_at_) {
      ::kill(-pid_, SIGKILL);
      killed_ = true;
    }
  }

  // Waits until a pipe or the leader has news or the next deadline, and
  // handles what came.
  void PollOnce(Steady::time_point now) {
    Steady::time_point next = exited_ ? drain_until_ : (r_.timed_out ? kill_at_ : deadline_);
    if (r_.timed_out && killed_ && !exited_) next = now + milliseconds(50);
    auto wait = std::chrono::duration_cast<milliseconds>(next - now).count() + 1;
    if (pidfd_ < 0 && !exited_) wait = std::min<long>(wait, 10);  // no pidfd: look often
    pollfd fds[4] = {{out_, POLLIN, 0},
                     {err_, POLLIN, 0},
                     {in_, POLLOUT, 0},
                     {exited_ ? -1 : pidfd_, POLLIN, 0}};
    int n = ::poll(fds, 4, static_cast<int>(std::max<long>(wait, 0)));
    if (n <= 0) return;
    if (fds[0].revents &&
        !Drain(out_, r_.out, o_.max_stdout_bytes, r_.out_truncated, &r_.out_bytes)) {
      CloseFd(out_);
    }
    if (fds[1].revents && !Drain(err_, r_.err, o_.max_stderr_bytes, r_.err_truncated, nullptr)) {
      CloseFd(err_);
    }
    if (fds[2].revents) WriteInput();
  }

  void WriteInput() {
    while (in_ >= 0 && r_.input_written < o_.input.size()) {
      ssize_t n =
          ::write(in_, o_.input.data() + r_.input_written, o_.input.size() - r_.input_written);
      if (n > 0) {
        r_.input_written += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      } else {
        CloseFd(in_);  // EPIPE: the child does not read its stdin
      }
    }
    CloseFd(in_);
  }

  const RunOptions& o_;
  pid_t pid_;
  RunOutcome& r_;
  Steady::time_point start_, deadline_, kill_at_, drain_until_;
  int in_ = -1, out_ = -1, err_ = -1, pidfd_ = -1;
  bool exited_ = false, killed_ = false;
};

}  // namespace

Result<RunOutcome> RunProcess(const RunOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) {
    return MakeError(ErrorCode::kInvalidParams, "argv: the program to run is empty");
  }
  Pipes pipes;
  if (!pipes.Open()) {
    return MakeError(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  }
  SigpipeBlock sigpipe;
  pid_t pid = 0;
  int rc = Spawn(options, pipes, pid);
  if (rc != 0) {
    return MakeError(ErrorCode::kIo, "cannot start " + options.argv[0] + ": " + std::strerror(rc));
  }
  for (int* child_end : {&pipes.in[0], &pipes.out[1], &pipes.err[1]}) CloseFd(*child_end);
  RunOutcome outcome;
  Run run(options, pid, pipes, outcome);
  run.Loop();
  run.Finish();
  return outcome;
}

}  // namespace docrunch::cli_bridge
