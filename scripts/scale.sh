#!/usr/bin/env bash
# Scale run for docs/performance.md: the same operations against a small pool and a pool
# of IDENTITIES identities (default 1,000,000) on one idpool (SQLite), with the server's
# memory, the database's size, and the time to ready from start, empty and full.
#
#   scripts/scale.sh [out-dir]        (default /tmp/idpool-scale)
#
# Environment: IDENTITIES, DURATION (default 10s), CLIENTS (default 32).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/idpool-scale}
IDENTITIES=${IDENTITIES:-1000000}
DURATION=${DURATION:-10s}
CLIENTS=${CLIENTS:-32}
mkdir -p "$OUT" && rm -f "$OUT"/*.json "$OUT"/*.txt
export AWS_ACCESS_KEY_ID=AKIAIDPOOLSCALE00001 AWS_SECRET_ACCESS_KEY=scalesecretscalesecretscalesecretscale0
WORK="$OUT/work"
rm -rf "$WORK" && mkdir -p "$WORK"
go build -o "$WORK/idpool" ./cmd/idpool
IDPOOL="$WORK/idpool"
URL=http://127.0.0.1:4721
PID=
stop() { if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; fi; }
trap stop EXIT

# start starts the server and sets READY_MS to the milliseconds from exec to /readyz
# answering 200.
start() {
  local t0 t1
  t0=$(date +%s%N)
  "$IDPOOL" serve --listen 127.0.0.1:4721 --data-dir "$WORK/data" --log-level warn \
    --access-key-id "$AWS_ACCESS_KEY_ID" --secret-access-key "$AWS_SECRET_ACCESS_KEY" >>"$WORK/server.log" 2>&1 &
  PID=$!
  until curl -sf -o /dev/null "$URL/readyz"; do sleep 0.005; done
  t1=$(date +%s%N)
  READY_MS=$(((t1 - t0) / 1000000))
}
facts() { # label
  local rss db
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
  db=$(du -sk "$WORK/data" | cut -f1)
  echo "$1: server RSS ${rss} KiB, data directory ${db} KiB" | tee -a "$OUT/facts.txt"
}
bench() { # name args...
  local name=$1; shift
  echo "== $name" >&2
  "$IDPOOL" bench --endpoint "$URL" -c "$CLIENTS" --duration "$DURATION" --json "$@" >"$OUT/$name.json"
}

start
echo "startup, empty data directory: $READY_MS ms" | tee "$OUT/facts.txt"
facts "empty"
bench small-getid --scenario getid
bench small-admin --scenario admin --identities 1000
bench small-lookup --scenario lookup --users 10000

echo "== creating a pool of $IDENTITIES identities through GetId" >&2
t0=$(date +%s)
"$IDPOOL" bench --endpoint "$URL" -c "$CLIENTS" --scenario credentials --identities "$IDENTITIES" \
  --requests 1 --warmup 0s --keep --json >"$OUT/populate.json"
POOL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["setup"]["pool_id"])' "$OUT/populate.json")
echo "populated $POOL with $IDENTITIES identities in $(($(date +%s) - t0)) s" | tee -a "$OUT/facts.txt"
facts "full"
bench large-getid --scenario getid --pool-id "$POOL"
bench large-admin --scenario admin --pool-id "$POOL"
bench large-lookup --scenario lookup --users 10000 --pool-id "$POOL"
facts "after the runs"
stop
start
echo "startup with $IDENTITIES identities: $READY_MS ms" | tee -a "$OUT/facts.txt"
facts "restarted"
stop
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
print("| operation | small pool: req/s | p50 | p99 | 1M pool: req/s | p50 | p99 |")
print("|---|---:|---:|---:|---:|---:|---:|")
for s in ("getid", "admin", "lookup"):
    a = json.load(open(os.path.join(out, f"small-{s}.json")))
    b = json.load(open(os.path.join(out, f"large-{s}.json")))
    for oa in a["operations"]:
        ob = next(o for o in b["operations"] if o["operation"] == oa["operation"])
        f = lambda o: f"{o['requests_per_second']:,.0f} | {o['latency_us']['p50']/1000:.2f} ms | {o['latency_us']['p99']/1000:.2f} ms"
        print(f"| {oa['operation']} | {f(oa)} | {f(ob)} |")
PY
