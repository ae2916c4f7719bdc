#!/usr/bin/env bash
# The device run of docs/performance.md, in two halves.
#
#   bash scripts/gpu_bench.sh prepare
#       On a machine with deno and apt (the CPU machine): fills .gpu/ with the Deno binary
#       and the Vulkan loader (tools/gpu-prep.sh), the bundled bench (.gpu/gpu_bench.js)
#       and the PyTorch reference (.gpu/daad_ref.py).
#   bash scripts/gpu_bench.sh run [gpu-bench flags, e.g. --tiny]
#       On the GPU machine, with .gpu/ carried along: sets up Deno's WebGPU there
#       (.gpu/env.sh, from tools/gpu-env.sh) and runs the bench within 8 minutes, writing
#       JSON lines (also to $OUT/gpu_bench.jsonl) and a table last. Where nvidia-smi is
#       absent (a CPU machine with a software adapter) it runs the same bundle with the
#       local deno and touches nothing outside the project: the --tiny check.
set -euo pipefail
cd "$(dirname "$0")/.."

find_tools() {
  for d in ../shared/tools shared/tools tools; do
    if [ -f "$d/gpu-prep.sh" ] && [ -f "$d/gpu-env.sh" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  prepare)
    tools=$(find_tools) || {
      echo "gpu_bench.sh: gpu-prep.sh and gpu-env.sh not found in ../shared/tools, shared/tools or tools" >&2
      exit 1
    }
    command -v deno >/dev/null || { echo "gpu_bench.sh: deno is not on PATH" >&2; exit 1; }
    prep="$tools/gpu-prep.sh"
    if [ -f .git ]; then
      # A git worktree: .git is a file, and gpu-prep.sh writes .git/info/exclude.
      excl=$(git rev-parse --git-path info/exclude)
      tmp=$(mktemp -d)
      sed -e "s#mkdir -p \.git/info#mkdir -p $(dirname "$excl")#" -e "s#\.git/info/exclude#$excl#g" \
        "$prep" > "$tmp/gpu-prep.sh"
      cp "$tools/gpu-env.sh" "$tmp/gpu-env.sh"
      prep="$tmp/gpu-prep.sh"
    fi
    bash "$prep"
    deno bundle --minify -o .gpu/gpu_bench.js lib/cli/gpu_bench.ts
    if [ -f "$tools/daad_ref.py" ]; then cp -f "$tools/daad_ref.py" .gpu/daad_ref.py; fi
    du -sh .gpu
    echo "prepared: carry .gpu and run: bash scripts/gpu_bench.sh run"
    ;;
  run)
    [ -f .gpu/gpu_bench.js ] || {
      echo "gpu_bench.sh: no .gpu/gpu_bench.js; run 'bash scripts/gpu_bench.sh prepare' first" >&2
      exit 1
    }
    if command -v nvidia-smi >/dev/null 2>&1; then
      [ -f .gpu/env.sh ] || {
        echo "gpu_bench.sh: no .gpu/env.sh (from tools/gpu-env.sh); run prepare first" >&2
        exit 1
      }
      # shellcheck disable=SC1091
      source .gpu/env.sh
      deno_bin=$DENO
      nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    else
      deno_bin=$(command -v deno) || {
        echo "gpu_bench.sh: no nvidia-smi and no deno on PATH: nothing to run the bench with" >&2
        exit 1
      }
    fi
    out=${OUT:-.gpu/out}
    mkdir -p "$out"
    # 470 s: the bench's own budget is 420 s; the rest is start-up and the reference.
    timeout 470 "$deno_bin" run -A .gpu/gpu_bench.js --cache "$out" "$@" |
      tee "$out/gpu_bench.jsonl"
    ;;
  *)
    echo "usage: bash scripts/gpu_bench.sh prepare | run [--tiny] [gpu-bench flags]" >&2
    exit 2
    ;;
esac
