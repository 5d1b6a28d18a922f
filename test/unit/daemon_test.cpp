// ctrace serve's request validation, without a daemon.
#include <catch2/catch.hpp>

#include "ctrace/commands/serve_protocol.hpp"

using namespace ctrace::commands;

TEST_CASE("trace names are validated and carry no path characters", "[serve]") {
  CHECK(valid_trace_name("web"));
  CHECK(valid_trace_name("systemd_nginx.service_0123abcd"));
  CHECK(valid_trace_name("getty@tty1.service"));
  CHECK(valid_trace_name("a-b:c"));
  CHECK_FALSE(valid_trace_name(""));
  CHECK_FALSE(valid_trace_name("../etc"));
  CHECK_FALSE(valid_trace_name("a/b"));
  CHECK_FALSE(valid_trace_name(".hidden"));
  CHECK_FALSE(valid_trace_name("-x"));
  CHECK_FALSE(valid_trace_name("a b"));
  CHECK_FALSE(valid_trace_name("a\\x2db"));
  CHECK_FALSE(valid_trace_name(std::string("a\0b", 3)));
  CHECK_FALSE(valid_trace_name("na\xc3\xafve"));
  CHECK(valid_trace_name(std::string(kMaxNameLength, 'a')));
  CHECK_FALSE(valid_trace_name(std::string(kMaxNameLength + 1, 'a')));
}

TEST_CASE("systemd trace names are sanitised into valid names", "[serve]") {
  CHECK(systemd_trace_name("nginx.service", "f00d") == "systemd_nginx.service_f00d");
  auto n = systemd_trace_name("foo\\x2dbar/baz.service", "1 2");
  CHECK(n == "systemd_foo_x2dbar_baz.service_1_2");
  CHECK(valid_trace_name(n));
  CHECK(valid_trace_name(systemd_trace_name(std::string(300, 'u'), "id")));
}

TEST_CASE("query values are percent-encoded", "[serve]") {
  CHECK(url_encode("system.slice/a-b_c.service") == "system.slice/a-b_c.service");
  CHECK(url_encode("a b&c=d?e#f%") == "a%20b%26c%3Dd%3Fe%23f%25");
  CHECK(url_encode("\xc3\xa9") == "%C3%A9");
}
