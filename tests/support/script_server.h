// A stand-in server written as a script: `python3 SCRIPT ARGS...` runs in
// the background and prints the port it listens on as its first line. It
// is stopped (SIGTERM, then waited for) when this object goes, and never
// outlives a crashed test (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace docrunch::testing {

class ScriptServer {
 public:
  ScriptServer(const std::string& script, const std::vector<std::string>& args);
  ~ScriptServer();
  ScriptServer(const ScriptServer&) = delete;
  ScriptServer& operator=(const ScriptServer&) = delete;

  int port() const { return port_; }  // 0: it did not start

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace docrunch::testing
