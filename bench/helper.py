#!/usr/bin/env python3
"""Small stdlib-only helpers for bench/run.sh (loopback only).

  helper.py proxy LISTEN_PORT UPSTREAM_PORT
      Counting HTTP/1.1 proxy 127.0.0.1:LISTEN_PORT -> 127.0.0.1:UPSTREAM_PORT.
      GET /__bench/calls answers {"total": N, "by_path": {...}};
      POST /__bench/reset zeroes the counters. Everything else is forwarded.

  helper.py burst URL N
      Fires N requests at URL at the same instant (N threads behind a barrier)
      and prints one JSON line: {"n", "ok", "status": {...}, "x_cache": {...}, "secs"}.

  helper.py warm BASE CONCURRENCY LIST_SPEC... --details K
      Fetches BASE/api/v1/products?per_page=P&page=1..N for each LIST_SPEC "P:N",
      collects product ids from the pages, then fetches BASE/api/v1/products/{id}
      for the first K ids. Persistent connections, CONCURRENCY workers.
      Prints one JSON line with status counts, ids seen and seconds taken.
"""

import http.client
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


def proxy(listen_port: int, upstream_port: int) -> None:
    lock = threading.Lock()
    calls: Counter = Counter()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _send(self, status, headers, body):
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in HOP:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _forward(self):
            if self.path == "/__bench/calls":
                with lock:
                    data = {"total": sum(calls.values()), "by_path": dict(calls)}
                return self._send(200, [("Content-Type", "application/json")], json.dumps(data).encode())
            if self.path == "/__bench/reset":
                with lock:
                    calls.clear()
                return self._send(204, [], b"")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            with lock:
                calls[self.path.split("?")[0]] += 1
            conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self._send(resp.status, resp.getheaders(), data)
            except Exception as e:  # upstream down: answer 502 like a proxy would
                self._send(502, [("Content-Type", "text/plain")], f"proxy: {e}".encode())
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024  # listen backlog: a burst must not hit SYN retries

    Server(("127.0.0.1", listen_port), Handler).serve_forever()


def burst(url: str, n: int) -> None:
    barrier = threading.Barrier(n)
    results = [None] * n

    parsed = urllib.parse.urlsplit(url)
    target = parsed.path + ("?" + parsed.query if parsed.query else "")

    def one(i):
        # Each request from its own loopback address: many shoppers opening one page at once
        # (from one address, the per-client connection cap and miss budget would refuse most).
        source = (f"127.0.{20 + i // 250}.{1 + i % 250}", 0)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60, source_address=source)
        barrier.wait()
        try:
            conn.request("GET", target)
            r = conn.getresponse()
            r.read()
            results[i] = (r.status, r.getheader("X-Cache", "-"))
        except Exception as e:
            results[i] = (type(e).__name__, "-")
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - start
    status = Counter(str(r[0]) for r in results)
    cache = Counter(r[1] for r in results)
    print(json.dumps({"n": n, "ok": status.get("200", 0), "status": status, "x_cache": cache, "secs": round(secs, 2)}))


def warm(base: str, concurrency: int, specs: list, details: int) -> None:
    parsed = urllib.parse.urlsplit(base)
    local = threading.local()
    status: Counter = Counter()
    ids: list = []
    lock = threading.Lock()

    def get(path):
        for attempt in range(2):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    local.conn = None
                return resp.status, body
            except (http.client.HTTPException, OSError):
                conn.close()
                local.conn = None
                if attempt:
                    return "error", b""
        return "error", b""

    def list_page(path):
        code, body = get(path)
        found = []
        if code == 200:
            try:
                found = [item["id"] for item in json.loads(body).get("items", []) if "id" in item]
            except (ValueError, AttributeError, TypeError):
                pass
        with lock:
            status[f"list {code}"] += 1
            ids.extend(found)

    def detail(pid):
        code, _ = get(f"/api/v1/products/{pid}")
        with lock:
            status[f"detail {code}"] += 1

    start = time.monotonic()
    paths = []
    for spec in specs:
        per_page, pages = (int(x) for x in spec.split(":"))
        paths += [f"/api/v1/products?per_page={per_page}&page={p}" for p in range(1, pages + 1)]
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(list_page, paths))
    seen = list(dict.fromkeys(ids))
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(detail, seen[:details]))
    print(json.dumps({"status": status, "ids_seen": len(seen), "details": min(details, len(seen)), "secs": round(time.monotonic() - start, 1)}))


def main(argv):
    if len(argv) >= 3 and argv[0] == "proxy":
        proxy(int(argv[1]), int(argv[2]))
    elif len(argv) == 3 and argv[0] == "burst":
        burst(argv[1], int(argv[2]))
    elif len(argv) >= 3 and argv[0] == "warm":
        details = 0
        rest = argv[3:]
        if "--details" in rest:
            i = rest.index("--details")
            details = int(rest[i + 1])
            rest = rest[:i] + rest[i + 2:]
        warm(argv[1], int(argv[2]), rest, details)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
