# Builds every BPF_DIR/*.bpf.c into a BPF object and a light skeleton:
#   /sys/kernel/btf/vmlinux --bpftool--> vmlinux.h
#   NAME.bpf.c --clang -target bpf--> NAME.bpf.o --bpftool gen skeleton -L--> NAME.lskel.h
#   NAME.lskel.h --LightSkeletonGlue.cmake--> NAME.lskel.hpp (its struct, for C++) + NAME.lskel.c
# Light skeletons (struct NAME_lbpf): the kernel does the CO-RE relocations and finds the attach
# BTF ids, so user space never reads the 5 MB vmlinux BTF (start-up time and peak RSS, see
# bench/README.md). Everything lands in CTRACE_BPF_GEN_DIR; a new program needs no CMake change.
#   ctrace_bpf_skeletons(OUT_VAR BPF_DIR [TARGET name] [REGULAR])
# makes the custom target `name` (default `ctrace_skeletons`) that builds them all and sets
# OUT_VAR to the generated C files to compile in; the first call also defines the vmlinux.h
# rule, later calls (bench/) depend on it through that target. REGULAR: libbpf's regular
# skeletons (NAME.skel.h) instead, for bench/'s floor.

find_program(CTRACE_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(CTRACE_BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
find_program(CTRACE_LLVM_STRIP NAMES llvm-strip llvm-strip-16 llvm-strip-15 llvm-strip-14)

set(CTRACE_BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf)
set(CTRACE_LSKEL_GLUE_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/LightSkeletonGlue.cmake)
file(MAKE_DIRECTORY ${CTRACE_BPF_GEN_DIR})

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(CTRACE_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(CTRACE_BPF_ARCH arm64)
else()
  set(CTRACE_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(ctrace_bpf_skeletons out_var bpf_dir)
  cmake_parse_arguments(ARG "REGULAR" "TARGET" "" ${ARGN})
  if(NOT ARG_TARGET)
    set(ARG_TARGET ctrace_skeletons)
  endif()
  set(vmlinux ${CTRACE_BPF_GEN_DIR}/vmlinux.h)
  set(vmlinux_dep ${vmlinux})
  get_property(vmlinux_target GLOBAL PROPERTY CTRACE_VMLINUX_TARGET)
  if(vmlinux_target)
    # The rule belongs to the first call's target (another directory): order after that
    # target instead of naming its output, which only Ninja could resolve across directories.
    set(vmlinux_dep)
  elseif(CTRACE_VMLINUX_H)
    add_custom_command(OUTPUT ${vmlinux}
      COMMAND ${CMAKE_COMMAND} -E copy ${CTRACE_VMLINUX_H} ${vmlinux}
      DEPENDS ${CTRACE_VMLINUX_H}
      COMMENT "Using vmlinux.h from ${CTRACE_VMLINUX_H}")
  else()
    if(NOT EXISTS ${CTRACE_BTF_FILE})
      message(FATAL_ERROR "No kernel BTF at ${CTRACE_BTF_FILE}: pass -DCTRACE_VMLINUX_H=/path/to/vmlinux.h "
                          "(generated elsewhere with 'bpftool btf dump file /sys/kernel/btf/vmlinux format c')")
    endif()
    add_custom_command(OUTPUT ${vmlinux}
      COMMAND ${CTRACE_BPFTOOL} btf dump file ${CTRACE_BTF_FILE} format c > ${vmlinux}.tmp
      COMMAND ${CMAKE_COMMAND} -E rename ${vmlinux}.tmp ${vmlinux}
      COMMENT "Generating vmlinux.h from ${CTRACE_BTF_FILE}")
  endif()

  file(GLOB bpf_sources CONFIGURE_DEPENDS ${bpf_dir}/*.bpf.c)
  file(GLOB bpf_headers CONFIGURE_DEPENDS ${bpf_dir}/*.h)
  set(skeletons)
  set(glue_sources)
  foreach(src ${bpf_sources})
    get_filename_component(name ${src} NAME_WE)
    set(obj ${CTRACE_BPF_GEN_DIR}/${name}.bpf.o)
    set(skel ${CTRACE_BPF_GEN_DIR}/${name}.skel.h)
    set(strip_cmd)
    if(CTRACE_LLVM_STRIP)
      set(strip_cmd COMMAND ${CTRACE_LLVM_STRIP} -g ${obj})
    endif()
    add_custom_command(OUTPUT ${obj}
      COMMAND ${CTRACE_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${CTRACE_BPF_ARCH}
              -Wall -Wno-unused-function -I${CTRACE_BPF_GEN_DIR} -I${bpf_dir}
              -c ${src} -o ${obj}
      ${strip_cmd}
      DEPENDS ${src} ${bpf_headers} ${vmlinux_dep}
      COMMENT "BPF ${name}.bpf.c")
    if(ARG_REGULAR)
      add_custom_command(OUTPUT ${skel}
        COMMAND ${CTRACE_BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}.tmp
        COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
        DEPENDS ${obj}
        COMMENT "Skeleton ${name}.skel.h")
      list(APPEND skeletons ${skel})
    else()
      set(lskel ${CTRACE_BPF_GEN_DIR}/${name}.lskel.h)
      add_custom_command(OUTPUT ${lskel}
        COMMAND ${CTRACE_BPFTOOL} gen skeleton -L ${obj} name ${name}_lbpf > ${lskel}.tmp
        COMMAND ${CMAKE_COMMAND} -E rename ${lskel}.tmp ${lskel}
        DEPENDS ${obj}
        COMMENT "Light skeleton ${name}.lskel.h")
      set(glue ${CTRACE_BPF_GEN_DIR}/${name}.lskel.hpp ${CTRACE_BPF_GEN_DIR}/${name}.lskel.c)
      add_custom_command(OUTPUT ${glue}
        COMMAND ${CMAKE_COMMAND} -DNAME=${name} -DLSKEL=${lskel} -DOUT_DIR=${CTRACE_BPF_GEN_DIR}
                -P ${CTRACE_LSKEL_GLUE_SCRIPT}
        DEPENDS ${lskel} ${CTRACE_LSKEL_GLUE_SCRIPT}
        COMMENT "Light skeleton glue ${name}.lskel.hpp")
      list(APPEND skeletons ${lskel} ${glue})
      list(APPEND glue_sources ${CTRACE_BPF_GEN_DIR}/${name}.lskel.c)
    endif()
  endforeach()
  add_custom_target(${ARG_TARGET} DEPENDS ${skeletons})
  if(vmlinux_target)
    add_dependencies(${ARG_TARGET} ${vmlinux_target})
  else()
    set_property(GLOBAL PROPERTY CTRACE_VMLINUX_TARGET ${ARG_TARGET})
  endif()
  set(${out_var} ${glue_sources} PARENT_SCOPE)
  set(CTRACE_BPF_GEN_DIR ${CTRACE_BPF_GEN_DIR} PARENT_SCOPE)
endfunction()
