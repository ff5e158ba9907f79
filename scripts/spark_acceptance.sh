#!/usr/bin/env bash
# spark-train's acceptance on one machine (issue 23, "done when"), on a class-folder dataset and pretrained weights:
#  1. the linear probe: `train --freeze features --no-augment` against `spark-train --freeze features` on local[2]
#     (MLlib); the Spark probe must reach the local accuracy within 1 point;
#  2. a fine-tune of --epochs (5) epochs: `train` against data-parallel `spark-train` on local[2] (2 partitions);
#     the Spark fine-tune must reach the local accuracy within 2 points;
#  3. the Spark fine-tune twice with one seed: identical weights and momentum (the checkpoints' arrays, byte for
#     byte; their metrics hold wall times, which differ);
#  4. both Spark checkpoints classify test images with `predict`.
# Prints each run's test top-1 and wall time, the differences and PASS or FAIL; exits 1 if anything fails.
#
# usage: scripts/spark_acceptance.sh --data DIR --weights FILE [--channels 3] [--epochs 5] [--probe-epochs 30]
#            [--batch-size 64] [--lr 0.01] [--augment none] [--seed 42] [--master 'local[2]'] [--work DIR]
#   --data      one sub-folder per class, or train/ and test/ of them (without them, both hold out 10% by --seed)
#   --weights   a densenet4j checkpoint or pretrained weights train and spark-train both take
#   --channels  the weights' input channels (train reads a folder in --channels; spark-train asks the weights)
#   --augment   both fine-tunes' augmentation (none by default: flipped digits are other digits)
# e.g. /usr/bin/python3 scripts/digits_to_folder.py /tmp/digits &&
#      scripts/spark_acceptance.sh --data /tmp/digits --weights models/fashion-mnist/densenet-bc-40-12.d4j --channels 1
# Runs six JVMs one after another; run it alone (libtorch's threads spin).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data="" weights="" channels=3 epochs=5 probe_epochs=30 batch=64 lr=0.01 augment=none seed=42 master='local[2]' work=""
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "spark_acceptance.sh: $1 needs a value" >&2; exit 2; }
  case "$1" in
    --data) data=$2 ;;
    --weights) weights=$2 ;;
    --channels) channels=$2 ;;
    --epochs) epochs=$2 ;;
    --probe-epochs) probe_epochs=$2 ;;
    --batch-size) batch=$2 ;;
    --lr) lr=$2 ;;
    --augment) augment=$2 ;;
    --seed) seed=$2 ;;
    --master) master=$2 ;;
    --work) work=$2 ;;
    *) echo "spark_acceptance.sh: unknown option $1 (see the usage at the top of the script)" >&2; exit 2 ;;
  esac
  shift 2
done
if [ -z "$data" ] || [ -z "$weights" ]; then
  echo "usage: scripts/spark_acceptance.sh --data DIR --weights FILE [options] (see the top of the script)" >&2
  exit 2
fi
[ -d "$data" ] || { echo "spark_acceptance.sh: $data is not a folder" >&2; exit 2; }
work=${work:-$(mktemp -d /tmp/densenet4j-spark-acceptance.XXXXXX)}
if [ -e "$work" ] && [ -n "$(ls -A "$work")" ]; then
  echo "spark_acceptance.sh: $work is not empty: give a new --work folder" >&2
  exit 2
fi
mkdir -p "$work"
d4j="$root/densenet4j"
lscpu | grep 'Model name' || true
echo "data $data, weights $weights, seed $seed, work folder $work"

# Runs one command with its log in $work/NAME.log; prints its wall time.
run() {
  local name=$1
  shift
  local start end
  start=$(date +%s.%N)
  if ! "$@" > "$work/$name.log" 2>&1; then
    echo "FAIL: $name exited with an error; the end of $work/$name.log:" >&2
    tail -5 "$work/$name.log" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  printf '%-22s %6.1f s wall\n' "$name" "$(echo "$end - $start" | bc)"
}

# The last epoch's test top-1 of a run folder, in percent.
top1() {
  tail -1 "$1/metrics.csv" | awk -F, '{ printf "%.2f", 100 * $6 }'
}

# The launcher builds what changed on first use: before the timed runs.
"$d4j" --help > /dev/null
"$d4j" spark-train --help > /dev/null

train=(train --dataset "$data" --weights "$weights" --channels "$channels" --seed "$seed" --show 0)
spark=(spark-train --master "$master" --input "$data" --weights "$weights" --seed "$seed" --threads 1)
run train-probe "$d4j" "${train[@]}" --run-dir "$work/train-probe" --freeze features --no-augment \
    --epochs "$probe_epochs"
run spark-probe "$d4j" "${spark[@]}" --run-dir "$work/spark-probe" --freeze features --partitions 4 \
    --batch-size "$batch"
finetune=(--epochs "$epochs" --batch-size "$batch" --lr "$lr" --augment "$augment")
run train-finetune "$d4j" "${train[@]}" --run-dir "$work/train-finetune" "${finetune[@]}"
run spark-finetune "$d4j" "${spark[@]}" --run-dir "$work/spark-finetune" --shards 2 "${finetune[@]}"
run spark-finetune-again "$d4j" "${spark[@]}" --run-dir "$work/spark-finetune-again" --shards 2 "${finetune[@]}"

sample_dir=$data
[ -d "$data/test" ] && sample_dir=$data/test
samples=$(find "$sample_dir" -type f \( -name '*.png' -o -name '*.jpg' -o -name '*.jpeg' \) | sort | tail -3)
# shellcheck disable=SC2086
run predict-spark-probe "$d4j" predict --checkpoint "$work/spark-probe/checkpoint.d4j" $samples
# shellcheck disable=SC2086
run predict-spark-ft "$d4j" predict --checkpoint "$work/spark-finetune/checkpoint.d4j" $samples

failed=0
# Prints a comparison of top-1 accuracies: the Spark run may trail the local one by at most BOUND points.
compare() {
  local what=$1 local_run=$2 spark_run=$3 bound=$4
  local a b verdict
  a=$(top1 "$work/$local_run")
  b=$(top1 "$work/$spark_run")
  verdict=$(awk -v a="$a" -v b="$b" -v bound="$bound" 'BEGIN { print (b >= a - bound) ? "PASS" : "FAIL" }')
  printf '%-11s train %6s%%  spark-train %6s%%  difference %+.2f points (bound: at most %s behind)  %s\n' \
      "$what" "$a" "$b" "$(echo "$b - $a" | bc)" "$bound" "$verdict"
  [ "$verdict" = PASS ] || failed=1
}
echo
compare "probe" train-probe spark-probe 1
compare "fine-tune" train-finetune spark-finetune 2
same=PASS
for entry in parameters.djl momentum.ndlist; do
  if ! cmp -s <(unzip -p "$work/spark-finetune/checkpoint.d4j" "$entry") \
              <(unzip -p "$work/spark-finetune-again/checkpoint.d4j" "$entry"); then
    same=FAIL
  fi
done
echo "same seed twice: the fine-tune's weights and momentum byte for byte identical: $same"
[ "$same" = PASS ] || failed=1
expected=$(echo "$samples" | wc -l)
classified=PASS
for run_name in predict-spark-probe predict-spark-ft; do
  # predict prints one line per image: "FILE: LABEL P%, ..."
  [ "$(grep -c '%' "$work/$run_name.log")" = "$expected" ] || classified=FAIL
done
echo "predict: both Spark checkpoints classify $expected images of $sample_dir: $classified"
[ "$classified" = PASS ] || failed=1
[ $failed = 0 ] && echo "ACCEPTED" || echo "NOT ACCEPTED"
exit $failed
