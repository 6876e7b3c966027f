#!/usr/bin/env python3
"""Turns the JSON reports of scripts/perf.sh into the tables of docs/performance.md."""
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/idpool-perf"


def load(name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path) as f:
        return json.load(f)


def ms(us):
    return f"{us / 1000:.2f} ms"


signs = [r for r in (load("sign-before"), load("sign-after")) if r]
ceiling = sum(r["operations"][0]["requests_per_second"] for r in signs) / len(signs) if signs else None
if ceiling:
    each = ", ".join("{:,.0f}".format(r["operations"][0]["requests_per_second"]) for r in signs)
    print(f"RS512 signing ceiling (2048-bit, same tool, same run): {ceiling:,.0f} signatures/s ({each})\n")

scenarios = sorted({f.split("-")[0] for f in os.listdir(out)
                    if f.endswith(".json") and not f.startswith(("sign", "ratio"))})
order = ["appstart", "getid", "credentials", "developer", "token", "admin", "lookup", "mix"]
scenarios.sort(key=lambda s: order.index(s) if s in order else 99)
print("| scenario | operation | target | requests/s | p50 | p90 | p99 | errors | × moto |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|")
for s in scenarios:
    reports = {t: load(f"{s}-{t}") for t in ("sqlite", "postgres", "moto")}
    moto = {}
    if reports["moto"]:
        moto = {o["operation"]: o for o in reports["moto"]["operations"]}
    for t in ("sqlite", "postgres", "moto"):
        r = reports[t]
        if not r:
            continue
        for o in r["operations"]:
            ratio = ""
            m = moto.get(o["operation"])
            if t != "moto" and m and m["requests_per_second"] > 0:
                ratio = f"{o['requests_per_second'] / m['requests_per_second']:.1f}×"
            extra = ""
            if s == "token" and ceiling and t != "moto":
                extra = f" ({o['requests_per_second'] / ceiling:.0%} of the ceiling)"
            name = {"sqlite": "idpool, SQLite", "postgres": "idpool, PostgreSQL", "moto": "moto 5.2"}[t]
            lat = o["latency_us"]
            print(f"| {s} | {o['operation']} | {name} | {o['requests_per_second']:,.0f}{extra} | "
                  f"{ms(lat['p50'])} | {ms(lat['p90'])} | {ms(lat['p99'])} | {o['errors']} | {ratio} |")

# The alternating rounds: each token run against the mean of the ceilings just before
# and just after it. A round that failed or had errors is left out, and said so.
rate = lambda r: r["operations"][0]["requests_per_second"]
rounds = sorted(int(f[len("ratio-token-"):-len(".json")]) for f in os.listdir(out)
                if f.startswith("ratio-token-") and f.endswith(".json"))
kept, left = [], []
for i in rounds:
    t, before, after = load(f"ratio-token-{i}"), load(f"ratio-sign-{i}"), load(f"ratio-sign-{i + 1}")
    if t and before and after and t["operations"][0]["errors"] == 0:
        kept.append((i, rate(t), (rate(before) + rate(after)) / 2))
    else:
        left.append(i)
if kept or left:
    each = sorted(tok / ceil for _, tok, ceil in kept)
    n = len(each)
    median = (each[n // 2] if n % 2 else (each[n // 2 - 1] + each[n // 2]) / 2) if n else None
    print(f"\nToken issuance on SQLite against the signing ceiling, alternating rounds of 4 s: "
          + (f"median **{median:.0%}** of {n} rounds; " if n else "no round usable; ")
          + "; ".join(f"round {i}: {tok:,.0f}/s against {ceil:,.0f}/s, {tok / ceil:.0%}" for i, tok, ceil in kept)
          + (f"; left out (failed or with errors): rounds {', '.join(map(str, left))}" if left else ""))
