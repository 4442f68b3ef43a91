// RunProcess against real processes: arguments reach the program
// untouched, exit codes, signals and stderr are reported, output is capped,
// and a timeout ends the whole process group, grandchildren included.
#include "cli_bridge/process_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "support/temp_dir.h"

namespace docrunch::cli_bridge {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::TempDir;

RunOptions Shell(const std::string& script) {
  RunOptions o;
  o.argv = {"/bin/sh", "-c", script, "sh"};
  o.timeout = 20s;
  return o;
}

// Whether `pid` is gone (or a zombie nobody reaped yet: it runs no more).
bool Gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z';
}

// The pid a script wrote to `file`, waiting a little for it to appear.
pid_t PidFrom(const std::filesystem::path& file) {
  for (int i = 0; i < 100; ++i) {
    std::ifstream in(file);
    pid_t pid = 0;
    if (in >> pid && pid > 0) return pid;
    std::this_thread::sleep_for(20ms);
  }
  return 0;
}

bool GoneSoon(pid_t pid) {
  for (int i = 0; i < 100 && !Gone(pid); ++i) std::this_thread::sleep_for(20ms);
  return Gone(pid);
}

TEST(ProcessRunner, PassesArgumentsAndStdinLiterallyWithoutAShell) {
  TempDir dir;
  RunOptions o;
  o.argv = {"/usr/bin/printf", "[%s]\n", "a b",      "$(touch " + (dir / "pwned").string() + ")",
            "; rm -rf /",      "`id`",   "'\"|&<>*?"};
  auto r = RunProcess(o);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "[a b]\n[$(touch " + (dir / "pwned").string() +
                        ")]\n[; rm -rf /]\n[`id`]\n['\"|&<>*?]\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "pwned"));

  auto cat = Shell("cat");
  cat.input = "$(whoami) `id` ; exit 3\n";
  auto echoed = RunProcess(cat);
  ASSERT_TRUE(echoed.ok());
  EXPECT_EQ(echoed->out, cat.input);
  EXPECT_EQ(echoed->input_written, cat.input.size());
}

TEST(ProcessRunner, ReportsExitStatusStderrAndSignals) {
  auto r = RunProcess(Shell("echo out; echo oops >&2; exit 7"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(r->term_signal, 0);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "oops\n");
  EXPECT_FALSE(r->timed_out);

  auto killed = RunProcess(Shell("kill -9 $$"));
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->exit_code, -1);
  EXPECT_EQ(killed->term_signal, SIGKILL);
}

TEST(ProcessRunner, UsesTheGivenEnvironment) {
  auto o = Shell("echo \"[$FOO][$HOME]\"");
  o.env = std::vector<std::string>{"FOO=bar baz"};
  auto r = RunProcess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "[bar baz][]\n");
}

TEST(ProcessRunner, AProgramThatCannotStartIsAnError) {
  RunOptions o;
  o.argv = {"/nonexistent/gemini", "--model", "x"};
  auto r = RunProcess(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_THAT(r.error().message, HasSubstr("/nonexistent/gemini"));
  EXPECT_EQ(RunProcess(RunOptions{}).error().code, ErrorCode::kInvalidParams);
}

TEST(ProcessRunner, TimeoutEndsTheWholeGroupIncludingGrandchildren) {
  TempDir dir;
  auto pidfile = dir / "grandchild.pid";
  auto o = Shell("sleep 60 & echo $! > '" + pidfile.string() + "'; sleep 60");
  o.timeout = 500ms;
  auto r = RunProcess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->term_signal, SIGTERM);
  EXPECT_LT(r->elapsed, 10s);
  pid_t grandchild = PidFrom(pidfile);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(GoneSoon(grandchild)) << "grandchild " << grandchild << " still runs";
}

TEST(ProcessRunner, AGroupThatIgnoresSigtermGetsSigkill) {
  TempDir dir;
  auto pidfile = dir / "grandchild.pid";
  // Ignored dispositions are inherited: the grandchild ignores SIGTERM too.
  auto o = Shell("trap '' TERM; sleep 60 & echo $! > '" + pidfile.string() +
                 "'; while :; do sleep 1; done");
  o.timeout = 300ms;
  o.kill_grace = 300ms;
  auto r = RunProcess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->term_signal, SIGKILL);
  EXPECT_GE(r->elapsed, 600ms);
  EXPECT_LT(r->elapsed, 10s);
  pid_t grandchild = PidFrom(pidfile);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(GoneSoon(grandchild));
}

TEST(ProcessRunner, AGrandchildHoldingStdoutDoesNotHoldTheRun) {
  TempDir dir;
  auto pidfile = dir / "grandchild.pid";
  auto o = Shell("sleep 60 & echo $! > '" + pidfile.string() + "'; echo done");
  o.drain_grace = 300ms;
  auto r = RunProcess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "done\n");
  EXPECT_LT(r->elapsed, 10s);
  pid_t grandchild = PidFrom(pidfile);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(GoneSoon(grandchild)) << "a leftover of the group outlived the run";
}

TEST(ProcessRunner, CapsStdoutAndStderrAndCountsTheRest) {
  auto o = Shell("head -c 5000000 /dev/zero; head -c 300000 /dev/zero >&2");
  o.max_stdout_bytes = 1000;
  o.max_stderr_bytes = 10;
  auto r = RunProcess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out.size(), 1000u);
  EXPECT_TRUE(r->out_truncated);
  EXPECT_EQ(r->out_bytes, 5000000u);
  EXPECT_EQ(r->err.size(), 10u);
  EXPECT_TRUE(r->err_truncated);

  auto exact = Shell("printf 12345");
  exact.max_stdout_bytes = 5;
  auto e = RunProcess(exact);
  EXPECT_EQ(e->out, "12345");
  EXPECT_FALSE(e->out_truncated);
}

TEST(ProcessRunner, OutputForeverEndsAtTheTimeoutWithinTheCap) {
  auto o = Shell("yes");
  o.timeout = 500ms;
  o.max_stdout_bytes = 4096;
  auto r = RunProcess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->out.size(), 4096u);
  EXPECT_TRUE(r->out_truncated);
  EXPECT_GT(r->out_bytes, 4096u);
  EXPECT_LT(r->elapsed, 10s);
}

TEST(ProcessRunner, LargeInputIsWrittenWhileOutputIsRead) {
  std::string big(10 * 1024 * 1024, 'x');
  auto count = Shell("wc -c");
  count.input = big;
  auto r = RunProcess(count);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, std::to_string(big.size()) + "\n");
  EXPECT_EQ(r->input_written, big.size());

  auto echo = Shell("cat");  // reads and writes at once: no deadlock on full pipes
  echo.input = big;
  echo.max_stdout_bytes = big.size();
  auto e = RunProcess(echo);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->out.size(), big.size());
}

TEST(ProcessRunner, AChildThatDoesNotReadItsInputIsNoProblem) {
  auto o = Shell("exit 0");
  o.input = std::string(10 * 1024 * 1024, 'y');  // SIGPIPE must not reach us
  auto r = RunProcess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_LT(r->input_written, o.input.size());
}

TEST(ProcessRunner, RunsInParallel) {
  std::vector<std::thread> threads;
  std::vector<std::string> outs(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([i, &outs] {
      auto o = Shell("sleep 0.2; cat");
      o.input = "run " + std::to_string(i);
      auto r = RunProcess(o);
      if (r) outs[i] = r->out;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(outs[i], "run " + std::to_string(i));
}

}  // namespace
}  // namespace docrunch::cli_bridge
