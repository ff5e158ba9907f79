#!/usr/bin/env bash
# Peak resident memory of the library's training example (1 epoch of densenet-bc-100-12 on 256 Fashion-MNIST
# images of 28x28) in a plain JVM, as an application embeds densenet4j: no launcher, glibc's allocator unless
# said otherwise. One configuration at a time (libtorch's threads spin; never two JVMs at once).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests -pl cli -am install >/dev/null
cp="cli/target/densenet4j-cli-0.1.0-SNAPSHOT.jar:core/target/densenet4j-core-0.1.0-SNAPSHOT.jar:$(cat cli/target/classpath.txt)"
run() {
  local label=$1 extra=$2; shift 2
  local dir; dir=$(mktemp -d)
  /usr/bin/time -f "| $label | %M |" env "$@" java -Xmx4g -Dai.djl.offline=true -cp "$cp" org.densenet4j.cli.Main \
      train --model densenet-bc-100-12 --epochs 1 --train-limit 256 --test-limit 256 --run-dir "$dir/run" --show 0 \
      $extra 2>&1 >/dev/null | grep '^| '
  rm -rf "$dir"
}
echo "| configuration | peak RSS (KB) |"
echo "|---|---|"
run "glibc defaults, plain step, batch 64" ""
run "glibc, MALLOC_ARENA_MAX=2, plain step, batch 64" "" MALLOC_ARENA_MAX=2
run "glibc keeping freed memory (launcher fallback), plain step, batch 64" "" MALLOC_MMAP_MAX_=0 \
    MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=536870912
run "glibc defaults, plain step, batch 32" "--batch-size 32"
run "glibc defaults, memory-efficient step, batch 64" "--memory-efficient"
