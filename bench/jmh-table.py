#!/usr/bin/env python3
"""Turn JMH JSON results (bin/bench -rf json -rff FILE) into the Markdown tables of docs/benchmarks.md.

For each benchmark and parameter set: the median of the measurement iterations (all forks), their range,
the unit, and the allocation per operation reported by -prof gc. Usage: bench/jmh-table.py results.json
"""
import json
import statistics
import sys


def num(value):
    if value >= 1e6:
        return f"{value:.3g}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def alloc_per_op(entry):
    for key, metric in entry.get("secondaryMetrics", {}).items():
        if key.lstrip("\u00b7").endswith("gc.alloc.rate.norm"):
            return metric["score"]
    return None


def main(path):
    with open(path) as f:
        results = json.load(f)
    groups = {}
    for entry in results:
        name = entry["benchmark"].rsplit(".", 2)
        cls, method = name[-2], name[-1]
        groups.setdefault(cls, []).append((method, entry))
    for cls, rows in groups.items():
        print(f"\n### {cls}\n")
        print("| benchmark | parameters | median | range | unit | B/op |")
        print("|---|---|---:|---:|---|---:|")
        for method, entry in rows:
            metric = entry["primaryMetric"]
            samples = [x for fork in metric["rawData"] for x in fork]
            median = statistics.median(samples)
            params = ", ".join(f"{k}={v}" for k, v in entry.get("params", {}).items()) or "-"
            alloc = alloc_per_op(entry)
            alloc_text = "-" if alloc is None else ("0" if alloc < 0.5 else f"{alloc:.1f}")
            print(f"| {method} | {params} | {num(median)} | {num(min(samples))}-{num(max(samples))} | "
                  f"{metric['scoreUnit']} | {alloc_text} |")
        for method, entry in rows:
            for key, metric in entry.get("secondaryMetrics", {}).items():
                if key in ("bytes", "records"):
                    samples = [x for fork in metric["rawData"] for x in fork]
                    print(f"| {method}:{key} | - | {num(statistics.median(samples))} | "
                          f"{num(min(samples))}-{num(max(samples))} | {metric['scoreUnit']} | - |")


if __name__ == "__main__":
    main(sys.argv[1])
