#include "support/embeddings_standin.h"

#include <cstdio>
#include <cstdlib>

namespace docrunch::testing {

EmbeddingsStandIn::EmbeddingsStandIn(const std::string& key)
    : server_(EMBEDDINGS_STANDIN_SCRIPT, {"--key", key}) {}

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
  std::string stats = Call("http://127.0.0.1:" + std::to_string(port()) + "/stats");
  auto at = stats.find("\"requests\": ");
  return at == std::string::npos ? -1 : std::atoi(stats.c_str() + at + 12);
}

void EmbeddingsStandIn::SetFailing(bool failing) const {
  Call("-X POST -d '{\"fail\": " + std::string(failing ? "true" : "false") +
       "}' http://127.0.0.1:" + std::to_string(port()) + "/control");
}

}  // namespace docrunch::testing
