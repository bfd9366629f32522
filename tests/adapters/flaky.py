#!/usr/bin/env python3
"""A broken adapter for tests: a proxy in front of `lifecycle-kit adapter` that hangs on
the message "hang" and crashes on the message "crash". Usage: flaky.py PATH-TO-lifecycle-kit"""
import subprocess
import sys
import time
import json

inner = subprocess.Popen([sys.argv[1], "adapter"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
print(inner.stdout.readline(), end="", flush=True)
for line in sys.stdin:
    request = json.loads(line)
    if request.get("op") == "send" and request.get("message_hex") == "hang".encode().hex():
        time.sleep(3600)
    if request.get("op") == "send" and request.get("message_hex") == "crash".encode().hex():
        sys.exit(3)
    inner.stdin.write(line)
    inner.stdin.flush()
    print(inner.stdout.readline(), end="", flush=True)
