"""The raw baseline: a bare `requests` + `json` loop over the same endpoints a tap reads.

No retries, no schema, no Singer messages: the fastest a hand-written script could be. Writes records as JSON
lines to stdout and `{"records": n, "requests": n}` to stderr.

    python -m benchmarks.baseline PROVIDER URL STREAM
"""

from __future__ import annotations

import json
import sys

from benchmarks.providers import load

if __name__ == "__main__":
    provider, url, stream = sys.argv[1:4]
    records, calls = load(provider).baseline(url, stream, sys.stdout)
    sys.stderr.write(json.dumps({"records": records, "requests": calls}) + "\n")
