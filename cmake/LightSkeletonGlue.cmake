# cmake -DNAME=stat -DLSKEL=.../stat.lskel.h -DOUT_DIR=... -P LightSkeletonGlue.cmake
# bpftool's light skeleton (NAME.lskel.h) only compiles as C, but its struct (maps, programs,
# rodata, bss) is plain C++ too. This writes, next to it:
#   NAME.lskel.hpp: that struct and the declarations of its life-cycle functions, for C++;
#   NAME.lskel.c:   their definitions, over bpftool's own code.
# So a command sets its globals and map sizes and reads map fds as skel->rodata->x,
# skel->maps.y.max_entries, skel->maps.y.map_fd: no glue file is written by hand.
file(READ ${LSKEL} text)
string(FIND "${text}" "struct ${NAME}_lbpf {" begin)
if(begin LESS 0)
  message(FATAL_ERROR "${LSKEL}: no struct ${NAME}_lbpf")
endif()
string(SUBSTRING "${text}" ${begin} -1 rest)
string(FIND "${rest}" "\n};\n" end)
if(end LESS 0)
  message(FATAL_ERROR "${LSKEL}: struct ${NAME}_lbpf does not end")
endif()
math(EXPR end "${end} + 4")
string(SUBSTRING "${rest}" 0 ${end} skel_struct)

set(hpp "/* Generated from ${NAME}.lskel.h by cmake/LightSkeletonGlue.cmake: do not edit. */
#pragma once
#include <errno.h> /* skel_internal.h uses these without including them */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/skel_internal.h>

#include \"ctrace/probe/lskel.h\"

${skel_struct}
CTRACE_LSKEL_DECLARE(${NAME})
")
# The C side sees bpftool's header only (the same struct, defined once in this file).
set(c "/* Generated from ${NAME}.lskel.h by cmake/LightSkeletonGlue.cmake: do not edit. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include \"${NAME}.lskel.h\"
#include \"ctrace/probe/lskel.h\"

CTRACE_LSKEL_DEFINE(${NAME})
")
# Written only when changed, so that a rebuilt object does not recompile every user.
foreach(kind hpp c)
  set(out ${OUT_DIR}/${NAME}.lskel.${kind})
  set(old "")
  if(EXISTS ${out})
    file(READ ${out} old)
  endif()
  if(NOT old STREQUAL "${${kind}}")
    file(WRITE ${out} "${${kind}}")
  endif()
endforeach()
