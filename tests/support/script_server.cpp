#include "support/script_server.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace docrunch::testing {

ScriptServer::ScriptServer(const std::string& script, const std::vector<std::string>& args) {
  std::vector<const char*> argv{"python3", script.c_str()};
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  int out[2];
  if (pipe(out) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a crashed test
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execvp("python3", const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[32] = {0};
  if (f && std::fgets(line, sizeof line, f)) port_ = std::atoi(line);
  if (f) std::fclose(f);
}

ScriptServer::~ScriptServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

}  // namespace docrunch::testing
