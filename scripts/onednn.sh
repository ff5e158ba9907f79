# The oneDNN setting densenet4j runs with, sourced by the launcher, the test suite and the benchmark scripts.
# libtorch 2.7.1's oneDNN 3.7.1 sizes its AVX2 and AVX-512 convolution kernels from the CPU's cache sizes, read
# with CPUID. Hypervisors that report no cache topology (the kernel then lists no
# /sys/devices/system/cpu/cpu0/cache; seen on AMD EPYC Zen 5 guests) make those kernels write zeros over
# convolution weights (float32 off by 23%, bfloat16 worse) or divide by zero planning a 1x1 convolution (SIGFPE,
# the JVM dies). Capped at AVX its channels-first 3x3 convolutions are still wrong when the input channels are
# not a multiple of 8 (measured: off by 12-50%); at SSE4.1 every convolution measured is right, in either memory
# format (ConvolutionSelfCheck, every parity test), at a cost in speed. PyTorch 1.13's older oneDNN is not
# affected. A value the user set wins.
# The kernel lists what CPUID reports; oneDNN needs the level-2 cache at least (a guest may report L1 alone).
reports_l2_cache() {
  local level
  for level in /sys/devices/system/cpu/cpu0/cache/index*/level; do
    [ "$(cat "$level" 2>/dev/null)" = 2 ] && return 0
  done
  return 1
}
if [ -z "${ONEDNN_MAX_CPU_ISA:-}" ] && ! reports_l2_cache; then
  export ONEDNN_MAX_CPU_ISA=SSE41
fi
