// The LightRAG stand-in (lightrag_standin.py) as a child process of a test:
// it speaks LightRAG's wire format, records requests, and can be told to
// fail, to be busy, or be stopped and started again on the same port with
// its documents kept (an outage).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace docrunch::testing {

class LightRagStandIn {
 public:
  // `state_dir` holds the documents across restarts; `api_key` "" for none.
  explicit LightRagStandIn(std::filesystem::path state_dir, std::string api_key = "");
  ~LightRagStandIn();

  // Starts listening (on the same port as before after a Stop); false if
  // python3 or the port is not available.
  bool Start();
  void Stop();  // SIGTERM, wait: connections are refused from now on
  bool running() const { return pid_ > 0; }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // {"documents": {id: {content, file_path}}, "requests": [...]}
  nlohmann::json State() const;
  void Control(const nlohmann::json& control) const;

 private:
  std::filesystem::path state_file_;
  std::string api_key_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace docrunch::testing
