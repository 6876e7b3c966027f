#!/usr/bin/env bash
# Side-by-side performance run for docs/performance.md: idpool on SQLite, idpool on
# PostgreSQL and moto, each driven by `idpool bench` from this machine, one scenario at a
# time, plus the raw RS512 signing ceiling measured by the same tool in the same run.
#
#   scripts/perf.sh [out-dir]        (default /tmp/idpool-perf)
#
# Environment: DURATION (default 10s), CLIENTS (default 32), SCENARIOS (default
# "appstart getid credentials developer token admin"), TARGETS (default
# "sqlite postgres moto"), TOKEN_ROUNDS (default 5: alternating 4-second runs of token
# issuance on SQLite and of the signing ceiling). Needs: Go, PostgreSQL 15 binaries
# (/usr/lib/postgresql/15/bin), moto (`python3 -m moto.server`). Writes one JSON report
# per target and scenario, and summary.md.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/idpool-perf}
DURATION=${DURATION:-10s}
CLIENTS=${CLIENTS:-32}
SCENARIOS=${SCENARIOS:-"appstart getid credentials developer token admin"}
TARGETS=${TARGETS:-"sqlite postgres moto"}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
mkdir -p "$OUT"
rm -f "$OUT"/*.json
export AWS_ACCESS_KEY_ID=AKIAIDPOOLPERF000001 AWS_SECRET_ACCESS_KEY=perfsecretperfsecretperfsecretperfsecr0
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${PGDATA:-}" ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$OUT/work"
}
trap cleanup EXIT
mkdir -p "$OUT/work"

go build -o "$OUT/work/idpool" ./cmd/idpool
IDPOOL="$OUT/work/idpool"

wait_ready() { # url
  for _ in $(seq 1 200); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.05
  done
  echo "not ready: $1" >&2; return 1
}

declare -A URL PID
serve_idpool() { # name port extra-args...
  local name=$1 port=$2; shift 2
  "$IDPOOL" serve --listen "127.0.0.1:$port" --data-dir "$OUT/work/$name" --log-level warn \
    --access-key-id "$AWS_ACCESS_KEY_ID" --secret-access-key "$AWS_SECRET_ACCESS_KEY" "$@" \
    >"$OUT/work/$name.log" 2>&1 &
  pids+=($!)
  PID[$name]=$!
  URL[$name]="http://127.0.0.1:$port"
  wait_ready "${URL[$name]}/readyz"
}

for t in $TARGETS; do
  case $t in
  sqlite) serve_idpool sqlite 4701 ;;
  postgres)
    # A real cluster with its durable defaults (fsync on, synchronous_commit on).
    PGDATA="$OUT/work/pg/data"
    mkdir -p "$OUT/work/pg" && chown postgres "$OUT/work/pg"
    runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust >/dev/null
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$OUT/work/pg/log" -w \
      -o "-p 4799 -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200" start >/dev/null
    serve_idpool postgres 4702 --database-url "postgres://postgres@127.0.0.1:4799/postgres?sslmode=disable"
    ;;
  moto)
    python3 -m moto.server -p 4703 >"$OUT/work/moto.log" 2>&1 &
    pids+=($!)
    PID[moto]=$!
    URL[moto]="http://127.0.0.1:4703"
    wait_ready "${URL[moto]}/moto-api/"
    ;;
  esac
done

# The signing ceiling is measured right before and right after the token scenario (at
# the start and the end when it is not run): this machine's speed drifts over minutes,
# and the token rate is compared with the ceiling of the same moment.
sign() { "$IDPOOL" bench --scenario sign -c "$CLIENTS" --duration "$DURATION" --json >"$OUT/sign-$1.json"; }
case " $SCENARIOS " in *" token "*) ;; *) sign before ;; esac
for s in $SCENARIOS; do
  [ "$s" = token ] && sign before
  for t in $TARGETS; do
    echo "== $s on $t" >&2
    "$IDPOOL" bench --endpoint "${URL[$t]}" --scenario "$s" -c "$CLIENTS" --duration "$DURATION" --json \
      >"$OUT/$s-$t.json" 2>"$OUT/work/$s-$t.err" || echo "   (failed: $(tail -1 "$OUT/work/$s-$t.err"))" >&2
    # idpool on SQLite is the target the ratio is for: close the bracket right after it.
    [ "$s" = token ] && [ "$t" = sqlite ] && sign after
  done
done
[ -f "$OUT/sign-after.json" ] || sign after

# Token issuance against the ceiling once more, in short runs that alternate with the
# ceiling's (sign, token, sign, ... sign): each token run is compared with the mean of
# the two ceilings around it, seconds apart, so the machine's drift hardly moves the ratio.
if [[ " $SCENARIOS " == *" token "* && " $TARGETS " == *" sqlite "* ]]; then
  # idpool on SQLite alone, as the ceiling is measured alone: the other targets stop first.
  for t in $TARGETS; do
    if [ "$t" != sqlite ] && [ -n "${PID[$t]:-}" ]; then
      kill "${PID[$t]}" 2>/dev/null || true
      wait "${PID[$t]}" 2>/dev/null || true
      keep=()
      for p in "${pids[@]}"; do [ "$p" = "${PID[$t]}" ] || keep+=("$p"); done
      pids=("${keep[@]}")
    fi
  done
  if [ -n "${PGDATA:-}" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true
    PGDATA=
  fi
  echo "== token against the signing ceiling, ${TOKEN_ROUNDS:-5} alternating rounds" >&2
  rsign() { "$IDPOOL" bench --scenario sign -c "$CLIENTS" --duration 4s --json >"$OUT/ratio-sign-$1.json"; }
  for i in $(seq 1 "${TOKEN_ROUNDS:-5}"); do
    rsign "$i"
    "$IDPOOL" bench --endpoint "${URL[sqlite]}" --scenario token -c "$CLIENTS" --duration 4s --json \
      >"$OUT/ratio-token-$i.json" 2>"$OUT/work/ratio-token-$i.err" ||
      echo "   (round $i failed: $(tail -1 "$OUT/work/ratio-token-$i.err"))" >&2
  done
  rsign $((${TOKEN_ROUNDS:-5} + 1))
fi
python3 scripts/perf-summary.py "$OUT" | tee "$OUT/summary.md"
