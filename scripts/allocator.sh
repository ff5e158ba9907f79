# The allocator densenet4j runs with (docs/performance.md), sourced by the launcher and by the
# benchmark scripts so that peers can be measured under exactly the same setting.
JEMALLOC_LIB=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
# Never return freed memory: with any decay, libtorch's large blocks are page-faulted in again on every
# pass, 2.5x slower (BENCHMARKS.md).
JEMALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1
