#!/usr/bin/env python3
"""Hostile clients against a running `densenet4j serve` on loopback, bounded in count and time.

  scripts/hostile_load.py PORT SERVER_PID [SLOW_CLIENTS] [SECONDS]

1. SLOW_CLIENTS connections (default 400) send a request's headers and then trickle one body byte every 13 s;
   meanwhile GET /health is timed once a second for SECONDS (default 40).
2. A chunked upload of 1.5 GB (no Content-Length) is streamed until the server answers.
3. A multipart upload with a 1.5 GB extra field is streamed until the server answers.
Prints one line per case with the answers, timings and the server's peak resident memory (VmHWM).
"""
import socket, sys, threading, time

port, pid = int(sys.argv[1]), int(sys.argv[2])
slow_count = int(sys.argv[3]) if len(sys.argv) > 3 else 400
seconds = int(sys.argv[4]) if len(sys.argv) > 4 else 40


def peak_rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return -1


def health_ms():
    start = time.time()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = s.recv(64)
        s.close()
        return (time.time() - start) * 1000, answer.split(b"\r\n")[0].decode()
    except OSError as e:
        return (time.time() - start) * 1000, f"error {e}"


def slow_client(stop, outcomes):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        s.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n")
        while not stop.is_set():
            s.sendall(b"x")
            s.settimeout(13)
            try:
                data = s.recv(64)
                if data:
                    outcomes.append(data.split(b"\r\n")[0].decode())
                    return
                outcomes.append("closed")
                return
            except socket.timeout:
                continue
    except OSError as e:
        outcomes.append(f"closed ({type(e).__name__})")


stop = threading.Event()
outcomes = []
threads = [threading.Thread(target=slow_client, args=(stop, outcomes), daemon=True) for _ in range(slow_count)]
for t in threads:
    t.start()
latencies, statuses = [], []
for _ in range(seconds):
    ms, status = health_ms()
    latencies.append(ms)
    statuses.append(status)
    time.sleep(max(0, 1 - ms / 1000))
stop.set()
latencies.sort()
ok = sum(1 for s in statuses if s.startswith("HTTP/1.1 200"))
answered = {}
for o in outcomes:
    answered[o] = answered.get(o, 0) + 1
print(f"slow clients: {slow_count} trickling 1 byte / 13 s for {seconds} s; /health {ok}/{len(statuses)} ok, "
      f"median {latencies[len(latencies) // 2]:.0f} ms, max {latencies[-1]:.0f} ms; slow clients got {answered}; "
      f"server peak RSS {peak_rss_mb():.0f} MB")


def stream_upload(label, head, chunks, tail=b""):
    start = time.time()
    sent = 0
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    answer = b""
    try:
        s.sendall(head)
        for chunk in chunks:
            s.sendall(chunk)
            sent += len(chunk)
        s.sendall(tail)
    except OSError:
        pass  # the server answered and closed while we were still sending
    try:
        s.settimeout(30)
        answer = s.recv(4096)
    except OSError:
        pass
    s.close()
    status = answer.split(b"\r\n")[0].decode() if answer else "no answer"
    body = answer.split(b"\r\n\r\n", 1)[1][:90].decode(errors="replace") if b"\r\n\r\n" in answer else ""
    print(f"{label}: {status} {body!r} after {sent / 1e6:.0f} MB sent in {time.time() - start:.1f} s; "
          f"server peak RSS {peak_rss_mb():.0f} MB")


total = 1_500_000_000
block = b"\0" * (1 << 20)


def chunked():
    for _ in range(total // len(block)):
        yield b"%x\r\n" % len(block) + block + b"\r\n"


stream_upload("chunked 1.5 GB upload",
              b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n",
              chunked(), b"0\r\n\r\n")
boundary = b"b0undary"
part = (b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"notes\"\r\n\r\n")
stream_upload("multipart 1.5 GB extra field",
              b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=" + boundary
              + b"\r\nContent-Length: " + str(total + 200).encode() + b"\r\n\r\n" + part,
              (block for _ in range(total // len(block))), b"\r\n--" + boundary + b"--\r\n")
