#include "ctrace/enrich/sockaddr.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

#include "ctrace/core/escape.hpp"
#include "ctrace/enrich/flags.hpp"

namespace ctrace::enrich {

std::string ip_text(int family, const uint8_t* bytes) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (!::inet_ntop(family, bytes, buf, sizeof buf)) return "?";
  return buf;
}

std::string family_name(int family) {
  switch (family) {
    case AF_INET:
      return "inet";
    case AF_INET6:
      return "inet6";
    case AF_UNIX:
      return "unix";
  }
  return fmt::format("af_{}", family);
}

std::string SockAddr::text() const {
  switch (family) {
    case AF_INET:
      return fmt::format("{}:{}", address, port);
    case AF_INET6:
      return fmt::format("[{}]:{}", address, port);
    case AF_UNIX:
      return address.empty() ? "unix:(unnamed)" : "unix:" + address;
  }
  return fmt::format("family={}", family);
}

std::optional<SockAddr> decode_sockaddr(const void* data, size_t len) {
  sa_family_t family;
  if (len < sizeof family) return std::nullopt;
  std::memcpy(&family, data, sizeof family);
  SockAddr a;
  a.family = family;
  switch (family) {
    case AF_INET: {
      sockaddr_in in;
      if (len < sizeof in) return std::nullopt;
      std::memcpy(&in, data, sizeof in);
      a.address = ip_text(AF_INET, reinterpret_cast<const uint8_t*>(&in.sin_addr));
      a.port = ntohs(in.sin_port);
      break;
    }
    case AF_INET6: {
      sockaddr_in6 in6;
      // Some callers pass the 24-byte RFC 2133 layout without sin6_scope_id.
      if (len < offsetof(sockaddr_in6, sin6_scope_id)) return std::nullopt;
      std::memset(&in6, 0, sizeof in6);
      std::memcpy(&in6, data, std::min(len, sizeof in6));
      a.address = ip_text(AF_INET6, reinterpret_cast<const uint8_t*>(&in6.sin6_addr));
      a.port = ntohs(in6.sin6_port);
      break;
    }
    case AF_UNIX: {
      // sun_path is not always NUL-terminated; a leading NUL marks an abstract name.
      const char* path = static_cast<const char*>(data) + offsetof(sockaddr_un, sun_path);
      size_t n = std::min(len, sizeof(sockaddr_un)) - offsetof(sockaddr_un, sun_path);
      if (n > 0 && path[0] == '\0') {
        a.address = "@" + std::string(path + 1, n - 1);
        while (!a.address.empty() && a.address.back() == '\0') a.address.pop_back();
      } else {
        a.address.assign(path, strnlen(path, n));
      }
      break;
    }
    default:
      break;
  }
  return a;
}

std::string sockaddr_strace_text(const void* data, size_t len) {
  sa_family_t family;
  if (len < sizeof family) return "{...}";
  std::memcpy(&family, data, sizeof family);
  std::string fam = "sa_family=" + address_family_text(family);
  if (family == AF_NETLINK) {
    sockaddr_nl nl{};
    if (len < sizeof nl) return "{" + fam + ", ...}";
    std::memcpy(&nl, data, sizeof nl);
    return fmt::format("{{{}, nl_pid={}, nl_groups={:08x}}}", fam, nl.nl_pid, nl.nl_groups);
  }
  auto a = decode_sockaddr(data, len);
  if (!a || (family != AF_INET && family != AF_INET6 && family != AF_UNIX)) return "{" + fam + ", ...}";
  switch (family) {
    case AF_INET:
      return fmt::format("{{{}, sin_port=htons({}), sin_addr=inet_addr(\"{}\")}}", fam, a->port, a->address);
    case AF_INET6:
      return fmt::format("{{{}, sin6_port=htons({}), inet_pton(AF_INET6, \"{}\", &sin6_addr)}}", fam, a->port,
                         a->address);
    default:
      if (a->address.empty()) return "{" + fam + "}";
      // a path the traced process chose: escaped as strace quotes it (\33), never raw
      if (a->address[0] == '@')
        return fmt::format("{{{}, sun_path=@\"{}\"}}", fam, escape_strace(a->address.substr(1)));
      return fmt::format("{{{}, sun_path=\"{}\"}}", fam, escape_strace(a->address));
  }
}

}  // namespace ctrace::enrich
