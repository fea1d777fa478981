#!/usr/bin/env bash
# keyir's benchmarks, as one table: every figure next to the floor or
# baseline it is judged against, measured in the same run, and their ratio.
# Usage: scripts/bench.sh            (about a minute on 2 cores)
#        scripts/bench.sh --serve    (only keyir serve's acknowledgement rows)
#        scripts/bench.sh --scaling  (the scaling table instead: activity at
#                                     1k..1M messages, serve acks at 10..1,000
#                                     commands, revocations at 10..1,000 keys;
#                                     a few minutes on 2 cores)
# The raw `go test -bench` output is kept in $BENCH_OUT (default a temp file).
set -euo pipefail
scaling=false serveonly=false
[ "${1:-}" = "--scaling" ] && scaling=true
[ "${1:-}" = "--serve" ] && serveonly=true
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # go.mod needs it; see the README's quick start
out="${BENCH_OUT:-$(mktemp -t keyir-bench.XXXXXX)}"
: >"$out"
run() { # package, benchmark regexp
  go test -run '^$' -bench "$2" -benchtime 1x -count 1 "$1" | tee -a "$out" >&2
}
# metric NAME UNIT: the value of UNIT on benchmark NAME's line.
metric() {
  awk -v b="^Benchmark$1(-[0-9]+)?\$" -v u="$2" '$1 ~ b { for (i = 3; i < NF; i += 2) if ($(i+1) == u) { print $i; exit } }' "$out"
}
row() { # figure, measured, unit, floor, floor label
  local m="$2" f="$4"
  if [ -z "$m" ] || [ -z "$f" ]; then
    printf '| %s | %s | %s | n/a |\n' "$1" "${m:-not measured}" "${f:-not measured}"
    return
  fi
  awk -v a="$m" -v b="$f" -v fig="$1" -v u="$3" -v fl="$5" 'BEGIN { printf "| %s | %s %s | %s %s (%s) | %.2f |\n", fig, a, u, b, u, fl, (b > 0 ? a / b : 0) }'
}
machine() {
  echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(go version | cut -d' ' -f3-)"
}

serve_benchmarks() {
  run ./internal/prove 'BareAck100$'
  run ./chatops 'ServeAckLatency|SocketAckLatency|BareSocketAck100|BareDurableSocketAck100'
}
serve_rows() {
  row "keyir serve acknowledgement p50, 100 concurrent commands, run in flight" "$(metric ServeAckLatency p50-ms)" ms "$(metric BareAck100 p50-ms)" "bare HTTP 200, 100 concurrent"
  row "keyir serve acknowledgement p99, 100 concurrent commands, run in flight" "$(metric ServeAckLatency p99-ms)" ms "$(metric BareAck100 p99-ms)" "bare HTTP 200, 100 concurrent"
  # Socket Mode: the same 100 commands pushed as envelopes; the floor is a
  # slack-go Socket Mode client that acks each at once. Bound for both
  # transports: ratio <= 3 (the headline rows).
  row "keyir serve Socket Mode acknowledgement p50, 100 concurrent envelopes, run in flight" "$(metric SocketAckLatency p50-ms)" ms "$(metric BareSocketAck100 p50-ms)" "bare Socket Mode client acking at once, 100 concurrent"
  row "keyir serve Socket Mode acknowledgement p99, 100 concurrent envelopes, run in flight" "$(metric SocketAckLatency p99-ms)" ms "$(metric BareSocketAck100 p99-ms)" "bare Socket Mode client acking at once, 100 concurrent"
  # The second floor: a bare client that does the least a durable ack
  # needs (append the envelope, ack after a group fsync covers it); no
  # ack that waits for an fsync can beat the first floor's no I/O at all.
  row "keyir serve Socket Mode acknowledgement p99, against a durable bare client" "$(metric SocketAckLatency p99-ms)" ms "$(metric BareDurableSocketAck100 p99-ms)" "bare Socket Mode client appending each envelope and acking after a group fsync, 100 concurrent"
}

if $serveonly; then
  serve_benchmarks
  echo
  echo "| figure | measured | floor / baseline | ratio |"
  echo "| --- | --- | --- | --- |"
  serve_rows
  echo
  machine
  echo "raw output: $out"
  exit 0
fi

if $scaling; then
  start=$(date +%s)
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  run ./internal/prove 'ReportScaling|BareAckScaling'
  run ./chatops 'ServeAckScaling'
  run ./actions/sendgrid 'RevokeScaling'
  echo
  echo "| work | measured | floor / baseline | ratio | also |"
  echo "| --- | --- | --- | --- | --- |"
  for n in 1000 10000 100000 1000000; do
    b="ReportScaling/n=$n"
    row "activity: keyir run over $n messages, wall time" "$(metric "$b" wall-s)" s "$(metric "$b" bare-fetch-s)" "bare client, same $(metric "$b" queries) queries" |
      sed "s/ |\$/ | activity step $(metric "$b" activity-s) s; $(metric "$b" queries) queries (ceil(N\/1000) = $(metric "$b" ideal-queries)); peak RSS $(metric "$b" peak-rss-MiB) MiB (idle $(metric "$b" idle-rss-MiB), answers $(metric "$b" payload-MiB) MiB) |/"
  done
  for n in 10 100 1000; do
    row "serve ack p99, $n concurrent commands, run in flight" "$(metric "ServeAckScaling/n=$n" p99-ms)" ms "$(metric "BareAckScaling/n=$n" p99-ms)" "bare HTTP 200, $n concurrent" |
      sed "s/ |\$/ | p50 $(metric "ServeAckScaling/n=$n" p50-ms) ms (bare $(metric "BareAckScaling/n=$n" p50-ms)) |/"
  done
  for n in 10 100 1000; do
    row "$n keys revoked under a 100/s limit" "$(metric "RevokeScaling/n=$n" wall-s)" s "$(metric "RevokeScaling/n=$n" floor-s)" "$n / 100 per s" |
      sed "s/ |\$/ | $(metric "RevokeScaling/n=$n" 429s) answers 429 |/"
  done
  echo
  machine
  echo "took $(($(date +%s) - start)) s"
  echo "raw output: $out"
  exit 0
fi

run ./actions/sendgrid 'Activity100k|Revoke1000|Containment50ms$'
run ./internal/prove 'FullRunContainment50ms|Report200k|VersionStartup'
serve_benchmarks

echo
echo "| figure | measured | floor / baseline | ratio |"
echo "| --- | --- | --- | --- |"
curl_ms=$(metric FullRunContainment50ms curl-delete-ms)
if [ -n "$curl_ms" ]; then
  row "time to containment, whole run from start, 50 ms latency" "$(metric FullRunContainment50ms ttc-ms)" ms "$curl_ms" "one bare DELETE with curl at 50 ms"
else
  row "time to containment, whole run from start, 50 ms latency" "$(metric FullRunContainment50ms ttc-ms)" ms "$(metric FullRunContainment50ms nethttp-delete-ms)" "one bare DELETE with net/http at 50 ms (no curl)"
fi
# The target: three round trips (liveness and snapshot at once, the DELETE,
# the key's own 401) plus 15 ms.
row "time to containment, whole run, against its target" "$(metric FullRunContainment50ms ttc-ms)" ms 165 "3 RTT + 15 ms at 50 ms"
row "time to containment, revoke + confirm steps only, 50 ms" "$(metric Containment50ms ttc-ms)" ms "$(metric Containment50ms bare-delete-ms)" "one bare DELETE, same client"
row "1,000 keys revoked under a 100/s limit ($(metric Revoke1000 429s) answers 429)" "$(metric Revoke1000 wall-s)" s "$(metric Revoke1000 floor-s)" "1000 / 100 per s"
row "Email Activity queries to retrieve 100,000 messages" "$(metric Activity100k queries/op)" queries "$(metric Activity100k ideal-queries/op)" "ceil(N/1000)"
row "whole run over 200,000 messages: wall time" "$(metric Report200k wall-s)" s "$(metric Report200k bare-fetch-s)" "bare client, same $(metric Report200k queries) queries"
row "whole run over 200,000 messages: wall time, against curl in its own process" "$(metric Report200k wall-s)" s "$(metric Report200k curl-fetch-s)" "curl, same $(metric Report200k queries) queries"
row "whole run over 200,000 messages: peak RSS" "$(metric Report200k peak-rss-MiB)" MiB "$(metric Report200k idle-rss-MiB)" "idle keyir process; answers were $(metric Report200k payload-MiB) MiB"
serve_rows
row "keyir version start-up (median of 20 execs)" "$(metric VersionStartup version-p50-ms)" ms "$(metric VersionStartup true-p50-ms)" "/bin/true, median of 20"
echo
machine
echo "raw output: $out"
