#include "ctrace/core/error.hpp"

#include <cstring>

namespace ctrace {

std::string errno_string(int err) {
  char buf[128];
  // GNU strerror_r returns the message pointer (maybe not buf).
  return ::strerror_r(err < 0 ? -err : err, buf, sizeof buf);
}

}  // namespace ctrace
