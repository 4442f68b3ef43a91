#include "support/lightrag_standin.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "support/process.h"

namespace docrunch::testing {

LightRagStandIn::LightRagStandIn(std::filesystem::path state_dir, std::string api_key)
    : state_file_(std::move(state_dir) / "lightrag-standin.json"), api_key_(std::move(api_key)) {}

LightRagStandIn::~LightRagStandIn() {
  Stop();
}

bool LightRagStandIn::Start() {
  if (pid_ > 0) return true;
  int out[2];
  if (pipe(out) != 0) return false;
  std::vector<std::string> args{"python3", LIGHTRAG_STANDIN_SCRIPT, "--port", std::to_string(port_),
                                "--state", state_file_.string()};
  if (!api_key_.empty()) args.insert(args.end(), {"--api-key", api_key_});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  FILE* in = fdopen(out[0], "r");
  int port = 0;
  bool ok = in && std::fscanf(in, "port %d", &port) == 1 && port > 0;
  if (in) std::fclose(in);
  pid_ = pid;
  if (!ok) {
    Stop();
    return false;
  }
  port_ = port;
  return true;
}

void LightRagStandIn::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

nlohmann::json LightRagStandIn::State() const {
  ProcessResult r = Run({"curl", "-s", "--max-time", "10", url() + "/_standin/state"});
  return nlohmann::json::parse(r.out, nullptr, false);
}

void LightRagStandIn::Control(const nlohmann::json& control) const {
  Run({"curl", "-s", "--max-time", "10", "-X", "POST", "-H", "Content-Type: application/json", "-d",
       control.dump(), url() + "/_standin/control"});
}

}  // namespace docrunch::testing
