#!/usr/bin/env python3
"""A broken adapter for tests: a proxy in front of `lifecycle-kit adapter` that breaks
the protocol in one way, chosen by MODE, on the first `start` (or `counters`, or the
handshake). Usage: malformed.py MODE PATH-TO-lifecycle-kit"""
import json
import subprocess
import sys

mode, kit = sys.argv[1], sys.argv[2]
inner = subprocess.Popen([kit, "adapter"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
hello = json.loads(inner.stdout.readline())
if mode == "bad-handshake":
    del hello["capabilities"]["compilations"]
print(json.dumps(hello), flush=True)
broken = False
for line in sys.stdin:
    request = json.loads(line)
    inner.stdin.write(line)
    inner.stdin.flush()
    answer = json.loads(inner.stdout.readline())
    op = request.get("op")
    if not broken and op == "start":
        broken = True
        if mode == "not-json":
            print("garbage", flush=True)
            continue
        if mode == "stray-stdout":
            print("starting the component...", flush=True)
        if mode == "wrong-id":
            answer["id"] += 1
        if mode == "bad-kind":
            answer["outcome"] = {"op": "start", "ok": False, "error": {"kind": "exploded", "stage": "_start"}}
        if mode == "missing-state":
            del answer["state"]
        if mode == "bad-event":
            answer["events"].append({"event": "guest_call", "export": "main", "outcome": "returned"})
        if mode == "wrong-op":
            answer["outcome"]["op"] = "stop"
            answer["outcome"]["warnings"] = []
        if mode == "refuse":
            answer = {"id": answer["id"], "ok": False, "error": "no more starts today"}
    if mode == "bad-counters" and op == "counters":
        answer["live_instances"] = -1
    print(json.dumps(answer), flush=True)
