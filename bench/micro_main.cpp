// bench/micro: Google Benchmark micro-benchmarks of warden's per-request paths.
//   micro [--benchmark_filter=REGEX] [--benchmark_min_time=SECONDS] ...
// bench/run runs it after its table; the figures are per call (the held ones per system call).
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
