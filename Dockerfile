# ctrace in a container: built on Debian 12, run against the host's cgroups and BTF.
#
#   docker build -t ctrace .
#   docker run --rm -it --pid=host --cgroupns=host --cap-drop ALL --cap-add SYS_ADMIN \
#       -v /sys/fs/cgroup:/sys/fs/cgroup:ro -v /sys/kernel/btf:/sys/kernel/btf:ro -v /run:/run:ro \
#       ctrace stat --container NAME
#
# SYS_ADMIN: Debian's Docker 20.10 does not know CAP_BPF, and its default seccomp profile allows
# bpf(2) only with CAP_SYS_ADMIN (Docker >= 23 and podman: --cap-add BPF --cap-add PERFMON
# --security-opt seccomp=unconfined). /run: the runtimes' sockets, for container names (without
# it names are short ids and --container NAME finds nothing). --pid=host lets -p PID see host
# pids, --cgroupns=host makes /proc/PID/cgroup paths the host's. `-- CMD` creates a cgroup: drop
# the :ro of /sys/fs/cgroup for it.
#
# The build generates vmlinux.h from /sys/kernel/btf/vmlinux, which `docker build` sees from the
# host kernel. Where it does not (remote builders, kernels without BTF), generate one on a machine
# that has it and pass it in:
#   bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h
#   docker build --build-arg CTRACE_VMLINUX_H=vmlinux.h -t ctrace .
# (CO-RE relocates the programs at load time, so any recent kernel's vmlinux.h will do.)

# From a tree built already (the tests do this, in seconds): a context holding this Dockerfile,
# scripts/install-deps.sh and DIR from `cmake --install build --prefix DIR --strip`, and
#   docker build --build-arg CTRACE_PREBUILT=DIR -t ctrace CONTEXT
# The build stage then only copies DIR (the classic builder runs every stage: it stays cheap).
# CTRACE_BUILD_BASE and CTRACE_BASE name other base images (the tests' own, from debootstrap).
ARG CTRACE_BUILD_BASE=debian:12
ARG CTRACE_BASE=debian:12-slim

FROM ${CTRACE_BUILD_BASE} AS build
ARG CTRACE_PREBUILT=
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN [ -n "$CTRACE_PREBUILT" ] || { /tmp/install-deps.sh --build && apt-get clean && rm -rf /var/lib/apt/lists/*; }
WORKDIR /src
COPY . .
# A path relative to the build context; empty: generate vmlinux.h from the build host's BTF.
ARG CTRACE_VMLINUX_H=
RUN if [ -n "$CTRACE_PREBUILT" ]; then cp -a "/src/$CTRACE_PREBUILT" /install; else \
      cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCTRACE_BUILD_TESTS=OFF \
        ${CTRACE_VMLINUX_H:+-DCTRACE_VMLINUX_H=/src/$CTRACE_VMLINUX_H} \
      && ninja -C /build ctrace \
      && cmake --install /build --prefix /install --strip; \
    fi

# libbpf, libelf, zlib, libseccomp, libcap, fmt and spdlog are linked in; cpp-httplib and prometheus-cpp
# are shared libraries in Debian, so the runtime image installs those two, for ctrace serve's
# module (lib/ctrace/ctrace-http.so, loaded by serve only). apt-get clean: a base made with
# debootstrap has no hook that empties /var/cache/apt (Debian's official images do).
FROM ${CTRACE_BASE}
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends libcpp-httplib0.11 libprometheus-cpp-core1.0 \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log
COPY --from=build /install/ /usr/local/
ENTRYPOINT ["/usr/local/bin/ctrace"]
CMD ["--help"]
