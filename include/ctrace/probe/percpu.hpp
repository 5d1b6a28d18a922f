#pragma once
// Reading BPF maps: walking a hash map's keys, and per-CPU maps (BPF_MAP_TYPE_PERCPU_ARRAY/HASH):
// one value per possible CPU, summed here once per read (an interval, a scrape, a dump), never
// per event.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace ctrace::probe {

// Calls f(key) for every key of a BPF hash map, per-CPU or not. A key deleted meanwhile may
// still come (its lookup then fails); delete after the walk: a deletion restarts it.
template <typename K, typename F>
void for_each_key(int map_fd, F&& f) {
  K key{}, next{};
  const K* prev = nullptr;
  while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    f(key);
  }
}

// Possible CPUs (the length of a per-CPU value array); at least 1.
inline int possible_cpus() {
  static const int n = [] {
    int c = libbpf_num_possible_cpus();
    return c > 0 ? c : 1;
  }();
  return n;
}

// The value of `key` on each CPU into `out` (resized); false when the key is not there.
template <typename V>
bool read_percpu(int map_fd, const void* key, std::vector<V>& out) {
  out.resize(static_cast<size_t>(possible_cpus()));
  return bpf_map_lookup_elem(map_fd, key, out.data()) == 0;
}

// Sums the value (a V) of `key` over CPUs with `add(total, one_cpu)`; false when the key is not there.
template <typename V, typename Total, typename Add>
bool sum_percpu(int map_fd, const void* key, Total& total, Add&& add) {
  thread_local std::vector<V> values;
  if (!read_percpu(map_fd, key, values)) return false;
  for (const V& v : values) add(total, v);
  return true;
}

// `total += v` for a struct made only of __u64 counters (every field summed).
template <typename V>
void add_counters(V& total, const V& v) {
  static_assert(std::is_trivially_copyable_v<V> && sizeof(V) % sizeof(uint64_t) == 0,
                "a counter struct is __u64 fields only");
  constexpr size_t n = sizeof(V) / sizeof(uint64_t);
  uint64_t a[n], b[n];
  std::memcpy(a, &total, sizeof a);
  std::memcpy(b, &v, sizeof b);
  for (size_t i = 0; i < n; ++i) a[i] += b[i];
  std::memcpy(&total, a, sizeof a);
}

// sum_percpu() of a struct of __u64 counters.
template <typename V>
bool sum_percpu_counters(int map_fd, const void* key, V& total) {
  return sum_percpu<V>(map_fd, key, total, [](V& t, const V& v) { add_counters(t, v); });
}

}  // namespace ctrace::probe
