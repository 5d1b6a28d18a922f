#include "stream_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ctrace::test {

StreamRun stream_around(const std::vector<std::string>& args, const std::vector<Workload*>& workloads,
                        const std::string& type) {
  return stream_during(
      args,
      [&] {
        for (auto* w : workloads) w->go();
        for (auto* w : workloads) REQUIRE(w->wait() == 0);
      },
      type);
}

StreamRun stream_during(const std::vector<std::string>& args, const std::function<void()>& during,
                        const std::string& type) {
  static int serial = 0;
  auto file = std::filesystem::temp_directory_path() /
              ("ctrace-stream-" + std::to_string(::getpid()) + "-" + std::to_string(++serial) + ".json");
  std::vector<std::string> argv{"sh", "-c",          "f=$1; shift; exec \"$@\" -o json > \"$f\"",
                                "sh", file.string(), ctrace_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  Process ct(argv);
  if (!ct.wait_for_stderr("Collecting events")) throw std::runtime_error("ctrace did not start: " + ct.err());
  during();
  ct.signal(SIGINT);
  StreamRun run;
  run.code = ct.wait();
  run.err = ct.err();
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    ++run.lines;
    auto j = nlohmann::json::parse(line);  // every line must parse
    if (j.at("type") == "lost")
      run.lost += j.at("count").get<uint64_t>();
    else if (j.at("type") == type)
      run.events.push_back(std::move(j));
  }
  std::filesystem::remove(file);
  return run;
}

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> docs;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) docs.push_back(nlohmann::json::parse(line));
  return docs;
}

std::map<std::string, uint64_t> syscall_counts(const nlohmann::json& stat, const std::string& field) {
  std::map<std::string, uint64_t> out;
  for (const auto& s : stat.at("syscalls")) out[s.at("name").get<std::string>()] = s.at(field).get<uint64_t>();
  return out;
}

std::vector<nlohmann::json> of_pid(const std::vector<nlohmann::json>& events, pid_t pid) {
  std::vector<nlohmann::json> out;
  for (const auto& e : events)
    if (e.at("pid") == pid) out.push_back(e);
  return out;
}

std::vector<nlohmann::json> where(const std::vector<nlohmann::json>& events,
                                  const std::function<bool(const nlohmann::json&)>& keep) {
  std::vector<nlohmann::json> out;
  for (const auto& e : events)
    if (keep(e)) out.push_back(e);
  return out;
}

LoopbackSocket::LoopbackSocket(int family, bool listen) : family_(family) {
  fd_ = ::socket(family, SOCK_STREAM, 0);  // no CLOEXEC: workloads inherit it
  if (fd_ < 0) throw std::runtime_error("socket");
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  }
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) throw std::runtime_error("bind");
  if (listen && ::listen(fd_, 128) != 0) throw std::runtime_error("listen");
  len = sizeof ss;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                   : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

LoopbackSocket::~LoopbackSocket() {
  ::close(fd_);
}

std::string LoopbackSocket::address() const {
  return (family_ == AF_INET6 ? "[::1]:" : "127.0.0.1:") + std::to_string(port_);
}

}  // namespace ctrace::test
