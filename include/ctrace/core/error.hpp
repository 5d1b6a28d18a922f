#pragma once
// Errors that end a command: one line saying what is wrong and what to do.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace ctrace {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

// A runtime failure (exit code 1): kernel refused, cgroup vanished, I/O error.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
  template <typename... Args>
  explicit Error(fmt::format_string<Args...> f, Args&&... args)
      : std::runtime_error(fmt::format(f, std::forward<Args>(args)...)) {}
  virtual int exit_code() const { return kExitRuntime; }
};

// Bad input from the user (exit code 2): wrong flag value, missing cgroup, unknown container.
class UsageError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return kExitUsage; }
};

// "strerror(errno)" without the thread-safety trap.
std::string errno_string(int err);

}  // namespace ctrace
