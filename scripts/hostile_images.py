#!/usr/bin/env python3
"""Images of absurd shape against a running `densenet4j serve` on loopback, bounded in count.

  scripts/hostile_images.py PORT SERVER_PID [REQUESTS]

A 1 x 16,000,000 and a 16,000,000 x 1 black PNG (31 KB and 16 KB: 16 million pixels, under the default pixel
limit) are POSTed REQUESTS times each (default 40, 8 at a time) to /explain, /explain as JSON and /predict.
Prints per image and path the statuses and the first answer, then the server's peak resident memory (VmHWM)
before and after.
"""
import collections, http.client, struct, sys, zlib
from concurrent.futures import ThreadPoolExecutor

port, pid = int(sys.argv[1]), int(sys.argv[2])
requests = int(sys.argv[3]) if len(sys.argv) > 3 else 40


def peak_rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return -1


def png(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    z = zlib.compressobj(9)
    row = bytes(1 + width)  # filter byte 0, then black pixels
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def post(path, body, accept):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "image/png"}
    if accept:
        headers["Accept"] = accept
    c.request("POST", path, body, headers)
    r = c.getresponse()
    answer = r.read()[:160]
    c.close()
    return r.status, answer


print(f"server peak RSS before: {peak_rss_mb():.0f} MB")
for name, body in (("1 x 16,000,000", png(1, 16_000_000)), ("16,000,000 x 1", png(16_000_000, 1))):
    for path, accept in (("/explain", None), ("/explain", "application/json"), ("/predict", None)):
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: post(path, body, accept), range(requests)))
        statuses = collections.Counter(s for s, _ in answers)
        print(f"{name} ({len(body)} bytes) {path} {accept or ''}: {dict(statuses)} {answers[0][1].decode()!r}")
print(f"server peak RSS after: {peak_rss_mb():.0f} MB")
