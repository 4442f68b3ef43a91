#include "support/embeddings_standin.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace docrunch::testing {

EmbeddingsStandIn::EmbeddingsStandIn(const std::string& key) {
  int out[2];
  if (pipe(out) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a crashed test
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execlp("python3", "python3", EMBEDDINGS_STANDIN_SCRIPT, "--key", key.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[32] = {0};
  if (f && std::fgets(line, sizeof line, f)) port_ = std::atoi(line);
  if (f) std::fclose(f);
}

EmbeddingsStandIn::~EmbeddingsStandIn() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::string EmbeddingsStandIn::Call(const std::string& args) const {
  std::string cmd = "curl -s " + args;
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  return out;
}

int EmbeddingsStandIn::Requests() const {
  std::string stats = Call("http://127.0.0.1:" + std::to_string(port_) + "/stats");
  auto at = stats.find("\"requests\": ");
  return at == std::string::npos ? -1 : std::atoi(stats.c_str() + at + 12);
}

void EmbeddingsStandIn::SetFailing(bool failing) const {
  Call("-X POST -d '{\"fail\": " + std::string(failing ? "true" : "false") +
       "}' http://127.0.0.1:" + std::to_string(port_) + "/control");
}

}  // namespace docrunch::testing
