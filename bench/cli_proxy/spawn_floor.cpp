// The floor of bench/cli_proxy: the fake CLI run with RunProcess directly,
// in this process (what the proxy does per request, without HTTP and JSON).
//
//   docrunch_cli_spawn_floor PROGRAM REQUESTS CONCURRENCY
//
// Prints one line of JSON: {"p50": ms, "p99": ms, "rps": n}.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli_bridge/process_runner.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s PROGRAM REQUESTS CONCURRENCY\n", argv[0]);
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  const std::string program = argv[1];
  const int requests = std::atoi(argv[2]);
  const int concurrency = std::atoi(argv[3]);
  std::atomic<int> next{0};
  std::mutex mu;
  std::vector<double> latencies;
  bool failed = false;
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      docrunch::cli_bridge::RunOptions o;
      o.argv = {program, "exec", "--model", "gpt-5-codex"};
      o.input = "Summarize the architecture of this repository in three sentences.\n";
      while (next.fetch_add(1) < requests) {
        auto t0 = Clock::now();
        auto r = docrunch::cli_bridge::RunProcess(o);
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        std::lock_guard lock(mu);
        if (!r || r->exit_code != 0 || r->out != "ok\n") failed = true;
        latencies.push_back(ms);
      }
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) {
    std::fprintf(stderr, "a run of %s failed\n", program.c_str());
    return 1;
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies[std::min(latencies.size() - 1,
                              static_cast<std::size_t>(p * latencies.size()))];
  };
  std::printf("{\"p50\": %.3f, \"p99\": %.3f, \"rps\": %.1f}\n", pct(0.5), pct(0.99),
              requests / seconds);
  return 0;
}
