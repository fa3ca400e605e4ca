#!/usr/bin/env bash
# make -j2 of a generated 200-file C project: bare, under bubblewrap, under warden, interleaved.
#   bench/make.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
rounds=${2:-5}
cmake --build "$build" --target warden >/dev/null
build=$(cd "$build" && pwd)
# Outside /tmp: both sandboxes give the command a private /tmp.
ws=$(mktemp -d "$build/bench-make.XXXXXX")
trap 'rm -rf "$ws"' EXIT
# shellcheck source=bench/gen.sh
. "$root/bench/gen.sh"
gen_c_project "$ws"

run() {
  local label=$1; shift
  make -s -C "$ws" clean-objs >/dev/null 2>&1 || rm -f "$ws"/*.o "$ws"/prog
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null
  t1=$(date +%s%N)
  echo "$label $(( (t1 - t0) / 1000000 ))"
}
declare -A times
for r in $(seq 1 "$rounds"); do
  while read -r label ms; do times[$label]+="$ms "; done < <(
    run bare make -s -C "$ws" -j2
    run bwrap bwrap --unshare-all --die-with-parent --ro-bind / / --bind "$ws" "$ws" --dev /dev \
      --proc /proc --tmpfs /tmp make -s -C "$ws" -j2
    run warden "$build/supervisor/warden" run -C "$ws" -a never -- make -s -j2
  )
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bare=$(echo "${times[bare]}" | median)
echo "machine: $(nproc) CPUs, kernel $(uname -r); $rounds rounds, interleaved; median ms (ratio to bare)"
for label in bare bwrap warden; do
  m=$(echo "${times[$label]}" | median)
  echo "$label $m $(awk -v a="$m" -v b="$bare" 'BEGIN {printf "%.2f", a / b}')"
done
