"""A closed-loop HTTP load generator, run as its own process by the benchmarks.

    python -m bench.loadgen URL --concurrency 4 --duration 10
    python -m bench.loadgen BASE --requests FILE --concurrency 4 --duration 10 [--once]

Each of the concurrent clients keeps one connection open and sends its next
request when the previous answer is in. With --requests, the clients take
their requests in turn from a JSON list of {"path", "headers", "status",
"sha256"}, checking each answer's status and body against it (a mismatch
counts as an error); --once stops when the list is used up rather than
starting it again (so that no request repeats). Prints a JSON summary.
"""

import argparse
import hashlib
import http.client
import itertools
import json
import statistics
import threading
import time
import urllib.parse


def run(base: str, requests: list[dict], concurrency: int, duration: float, once: bool) -> dict:
    parts = urllib.parse.urlsplit(base)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration
    queue = iter(requests) if once else itertools.cycle(requests)

    def client():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, failed = [], 0
        while time.monotonic() < stop_at:
            with lock:
                item = next(queue, None)
            if item is None:
                break
            started = time.perf_counter()
            try:
                connection.request("GET", item["path"], headers=item.get("headers", {}))
                response = connection.getresponse()
                body = response.read()
                ok = response.status == item.get("status", 200)
                if ok and item.get("sha256"):
                    ok = hashlib.sha256(body).hexdigest() == item["sha256"]
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                ok = False
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                failed += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "p50_ms": cuts[49] * 1000,
        "p95_ms": cuts[94] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--requests", help="a JSON file of requests to make against URL")
    parser.add_argument("--once", action="store_true", help="never repeat a request")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    if args.requests:
        with open(args.requests) as file:
            requests = json.load(file)
        base = args.url
    else:
        parts = urllib.parse.urlsplit(args.url)
        requests = [{"path": parts.path + (f"?{parts.query}" if parts.query else "")}]
        base = args.url
    print(json.dumps(run(base, requests, args.concurrency, args.duration, args.once)))


if __name__ == "__main__":
    main()
