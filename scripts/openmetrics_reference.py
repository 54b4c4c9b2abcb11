"""Read OpenMetrics pages with the Python reference parser (prometheus_client), for promwire's
conformance runner and round-trip test (scripts/reference-parser.ts).

stdin: a JSON array of pages (strings). stdout: a JSON array, one entry per page:
{"ok": true, "families": [...]} or {"ok": false, "error": "..."}.

Families are normalized so that two readings compare equal exactly when they hold the same
families, types, units, help, samples and exemplars at Prometheus' resolution:
- values as floats (an int 3 and a float 3.0 are the same value; -0.0 is 0.0; NaN is "nan");
- timestamps in milliseconds as Prometheus converts them, trunc(float64(seconds) * 1000), so
  that only a difference below one millisecond disappears;
- two samples of one series at the same millisecond keep the first, as Prometheus keeps it (the
  reference parser itself drops repeats at the same timestamp within a metric).
"""
import json
import math
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.samples import Timestamp


def ms(ts):
    if ts is None:
        return None
    if isinstance(ts, Timestamp):
        # The decimal seconds as written (to the nanosecond the parser keeps), parsed as Go
        # parses them. For a negative time the parser stores a negative nsec.
        sign = "-" if ts.sec < 0 or ts.nsec < 0 else ""
        seconds = float(f"{sign}{abs(ts.sec)}.{abs(ts.nsec):09d}")
    else:
        seconds = float(ts)
    return str(int(math.trunc(seconds * 1000)))


def value(v):
    f = float(v) + 0.0
    return repr(f)


def labels(d):
    return sorted([k, v] for k, v in d.items())


def family(m):
    samples = []
    seen = set()
    for s in m.samples:
        t = ms(s.timestamp)
        key = (s.name, json.dumps(labels(s.labels)), t)
        if key in seen:
            continue
        seen.add(key)
        e = None
        if s.exemplar is not None:
            e = {"labels": labels(s.exemplar.labels), "value": value(s.exemplar.value), "timestamp": ms(s.exemplar.timestamp)}
        samples.append({"name": s.name, "labels": labels(s.labels), "value": value(s.value), "timestamp": t, "exemplar": e})
    return {"name": m.name, "type": m.type, "unit": m.unit, "help": m.documentation, "samples": samples}


def main():
    out = []
    for page in json.load(sys.stdin):
        try:
            out.append({"ok": True, "families": [family(m) for m in text_string_to_metric_families(page)]})
        except Exception as e:  # the parser raises ValueError, and others on odd input
            out.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
    json.dump(out, sys.stdout)


main()
