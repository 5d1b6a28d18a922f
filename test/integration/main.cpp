// Integration tests need root and a kernel that loads BPF. Without them the binary exits 77
// (CTest: skipped, with the reason printed); with CI=true a skip is a failure.
#define CATCH_CONFIG_RUNNER
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--list", 6) == 0) listing = true;
  if (!listing) {
    std::string why;
    if (::geteuid() != 0)
      why = "integration tests need root";
    else if (!std::filesystem::exists("/sys/kernel/btf/vmlinux"))
      why = "integration tests need kernel BTF (/sys/kernel/btf/vmlinux)";
    if (!why.empty()) {
      const char* ci = std::getenv("CI");
      bool on_ci = ci && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0);
      std::cerr << (on_ci ? "FAILED (CI=true, a skip is a failure): " : "SKIPPED: ") << why << "\n";
      return on_ci ? 1 : 77;
    }
  }
  return Catch::Session().run(argc, argv);
}
