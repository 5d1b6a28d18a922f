# ctrace in a container: built on Debian 12, run privileged against the host's cgroups and BTF.
#
#   docker build -t ctrace .
#   docker run --rm -it --privileged --pid=host -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
#       -v /sys/kernel:/sys/kernel ctrace stat --container ID
#
# --pid=host lets -p PID see host pids; add --cgroupns=host for -p too (/proc/PID/cgroup paths are
# relative to the reader's cgroup namespace). `-- CMD` creates a cgroup: drop the :ro for it.
#
# The build generates vmlinux.h from /sys/kernel/btf/vmlinux, which `docker build` sees from the
# host kernel. Where it does not (remote builders, kernels without BTF), generate one on a machine
# that has it and pass it in:
#   bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h
#   docker build --build-arg CTRACE_VMLINUX_H=vmlinux.h -t ctrace .
# (CO-RE relocates the programs at load time, so any recent kernel's vmlinux.h will do.)

FROM debian:12 AS build
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# A path relative to the build context; empty: generate vmlinux.h from the build host's BTF.
ARG CTRACE_VMLINUX_H=
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCTRACE_BUILD_TESTS=OFF \
        ${CTRACE_VMLINUX_H:+-DCTRACE_VMLINUX_H=/src/$CTRACE_VMLINUX_H} \
    && ninja -C /build ctrace \
    && cmake --install /build --prefix /install --strip

# libbpf, libelf, zlib, libseccomp, fmt and spdlog are linked in; cpp-httplib and prometheus-cpp
# are shared libraries in Debian, so the runtime image installs those two, for ctrace serve's
# module (lib/ctrace/ctrace-http.so, loaded by serve only).
FROM debian:12-slim
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends libcpp-httplib0.11 libprometheus-cpp-core1.0 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /install/ /usr/local/
ENTRYPOINT ["/usr/local/bin/ctrace"]
CMD ["--help"]
