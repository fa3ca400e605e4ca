#!/usr/bin/env bash
# Start-up cost of a sandboxed `true`: bare, under bubblewrap, and under warden.
#   bench/startup.sh [BUILD_DIR] [warden-bench-startup options, e.g. --rounds 50]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
shift $(($# > 0 ? 1 : 0))

# The bench splits commands on spaces, so no path in them may hold one.
case $build in *' '*)
  echo "startup.sh: BUILD_DIR must not contain spaces: $build" >&2
  exit 2
  ;;
esac

if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" >/dev/null
fi
# Incremental: a no-op when both are up to date.
cmake --build "$build" --target warden warden-bench-startup >/dev/null
build=$(cd "$build" && pwd)

# Outside /tmp, which the bwrap command covers with its own tmpfs.
ws=$(mktemp -d "$build/bench-ws.XXXXXX")
trap 'rm -rf "$ws"' EXIT

model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)
echo "machine: $(nproc) CPUs, kernel $(uname -r), ${model:-unknown CPU}"

"$build/bench/warden-bench-startup" "$@" \
  "bare=/usr/bin/true" \
  "bwrap=bwrap --unshare-all --die-with-parent --ro-bind / / --bind $ws $ws --dev /dev --proc /proc --tmpfs /tmp /usr/bin/true" \
  "warden=$build/supervisor/warden run -C $ws -- /usr/bin/true"
