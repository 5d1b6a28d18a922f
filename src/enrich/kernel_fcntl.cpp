// The kernel's O_LARGEFILE, which F_GETFL returns on every file: glibc's <fcntl.h> defines it as
// 0 on 64-bit, and cannot share a translation unit with the kernel's <asm/fcntl.h>.
#include <asm/fcntl.h>

#include <cstdint>

namespace ctrace::enrich {
extern const uint64_t kKernelOLargefile = O_LARGEFILE;
}  // namespace ctrace::enrich
