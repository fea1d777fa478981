#!/usr/bin/env bash
# Rewrites the grouped import blocks of the Go files named (default: every
# tracked one) as one import declaration per line; see DESIGN.md, "Decisions
# worth knowing". Idempotent; run gofmt after it.
set -euo pipefail
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  cd "$(dirname "$0")/.."
  mapfile -t files < <(git ls-files '*.go')
fi
for f in "${files[@]}"; do
  grep -q '^import ($' "$f" || continue
  awk '
    !inb && $0 == "import (" { inb = 1; next }
    inb && $0 == ")"         { inb = 0; next }
    inb { sub(/^[ \t]+/, ""); if ($0 == "" || $0 ~ /^\/\//) print; else print "import " $0; next }
    { print }
  ' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
done
