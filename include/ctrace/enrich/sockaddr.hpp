#pragma once
// Socket addresses as the kernel or a caller laid them out: sockaddr_in, sockaddr_in6,
// sockaddr_un, and bare IPv4/IPv6 addresses.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ctrace::enrich {

struct SockAddr {
  int family = 0;       // AF_INET, AF_INET6, AF_UNIX, or another AF_*
  std::string address;  // "127.0.0.1", "::1", "/run/x.sock", "@abstract", "" (unnamed unix)
  uint16_t port = 0;    // host byte order; 0 for unix

  // "127.0.0.1:80", "[::1]:80", "unix:/run/x.sock", "unix:@name", "unix:(unnamed)", "family=N"
  std::string text() const;
};

// Decodes `len` bytes of a struct sockaddr; nullopt when too short to hold its family's address.
std::optional<SockAddr> decode_sockaddr(const void* data, size_t len);

// "127.0.0.1" from 4 bytes (AF_INET) or "::1" from 16 bytes (AF_INET6), network order.
std::string ip_text(int family, const uint8_t* bytes);

// strace's spelling: {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")},
// AF_INET6, AF_UNIX (sun_path), AF_NETLINK (nl_pid, nl_groups); other families show their
// family only. `truncated` says fewer bytes were captured than the family needs.
std::string sockaddr_strace_text(const void* data, size_t len);

// "inet", "inet6", "unix", or "af_N".
std::string family_name(int family);

}  // namespace ctrace::enrich
