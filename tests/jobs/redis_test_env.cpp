#include "redis_test_env.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

namespace docrunch::jobs {

std::string RandomPrefix() {
  std::random_device random;
  char text[32];
  std::snprintf(text, sizeof text, "test-%08x%08x", random(), random());
  return text;
}

RawRedis::RawRedis(const std::string& url) {
  auto target = auth::ParseRedisUrl(url);
  if (!target) {
    ADD_FAILURE() << target.error().ToString();
    return;
  }
  auto context = auth::ConnectRedis(*target);
  if (!context) {
    ADD_FAILURE() << context.error().ToString();
    return;
  }
  context_ = std::move(*context);
}

RedisReply RawRedis::Command(const std::vector<std::string>& args) {
  if (!context_) return nullptr;
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return RedisReply(static_cast<redisReply*>(redisCommandArgv(
      context_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

long long RawRedis::Integer(const std::vector<std::string>& args) {
  auto reply = Command(args);
  if (!reply || reply->type != REDIS_REPLY_INTEGER) {
    ADD_FAILURE() << args[0] << ": no integer reply";
    return -1;
  }
  return reply->integer;
}

std::vector<std::string> RawRedis::StreamField(const std::string& key, const std::string& name) {
  std::vector<std::string> values;
  auto reply = Command({"XRANGE", key, "-", "+"});
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return values;
  for (std::size_t i = 0; i < reply->elements; ++i) {
    const redisReply* fields = reply->element[i]->element[1];
    for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
      if (std::string(fields->element[f]->str, fields->element[f]->len) == name) {
        values.emplace_back(fields->element[f + 1]->str, fields->element[f + 1]->len);
      }
    }
  }
  return values;
}

std::vector<std::string> RawRedis::KeysUnder(const std::string& prefix) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    auto reply = Command({"SCAN", cursor, "MATCH", prefix + ":*", "COUNT", "1000"});
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) break;
    cursor = std::string(reply->element[0]->str, reply->element[0]->len);
    for (std::size_t i = 0; i < reply->element[1]->elements; ++i) {
      keys.emplace_back(reply->element[1]->element[i]->str, reply->element[1]->element[i]->len);
    }
  } while (cursor != "0");
  return keys;
}

void RawRedis::DeleteKeysUnder(const std::string& prefix) {
  for (const auto& key : KeysUnder(prefix)) Command({"DEL", key});
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

bool PrivateRedis::Installed() {
  return access("/usr/bin/redis-server", X_OK) == 0;
}

bool PrivateRedis::Start(int port) {
  port_ = port;
  const std::string port_text = std::to_string(port);
  const std::string dir = dir_.path().string();
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    int null = open("/dev/null", O_WRONLY);  // its start-up banner is not the test's output
    if (null >= 0) dup2(null, STDOUT_FILENO), dup2(null, STDERR_FILENO);
    execl("/usr/bin/redis-server", "redis-server", "--bind", "127.0.0.1", "--port",
          port_text.c_str(), "--dir", dir.c_str(), "--save", "", "--appendonly", "yes",
          "--appendfsync", "always", "--logfile", "", "--loglevel", "warning",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  auth::RedisTarget target;
  target.host = "127.0.0.1";
  target.port = port;
  // PING answers once the append-only file is loaded (LOADING before).
  for (int i = 0; i < 400; ++i) {
    if (auth::ConnectRedis(target)) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

void PrivateRedis::Stop(int signal) {
  if (pid_ <= 0) return;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void PrivateRedis::StopCleanly() {
  if (pid_ <= 0) return;
  {
    RawRedis raw(url());
    auto paused = raw.Command({"CLIENT", "PAUSE", "30000", "WRITE"});
    EXPECT_TRUE(paused && paused->type == REDIS_REPLY_STATUS) << "CLIENT PAUSE failed";
  }
  Stop(SIGTERM);
}

}  // namespace docrunch::jobs
