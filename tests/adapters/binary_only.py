#!/usr/bin/env python3
"""An adapter for tests that knows no text format: a proxy in front of
`lifecycle-kit adapter --runtime reference` that refuses every `create` whose module is
not a wasm binary (does not begin with b"\\0asm"), whether sent as `module_hex` or as a
readable `module_path`. A `module_path` that cannot be read goes through (the runtime
answers `component_not_found`). Usage: binary_only.py PATH-TO-lifecycle-kit"""
import json
import subprocess
import sys

inner = subprocess.Popen([sys.argv[1], "adapter", "--runtime", "reference"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
print(inner.stdout.readline(), end="", flush=True)


def module_start(request):
    """The first bytes of the module a `create` names, or None where there are none to read."""
    if "module_hex" in request:
        return bytes.fromhex(request["module_hex"])[:4]
    try:
        with open(request["module_path"], "rb") as f:
            return f.read(4)
    except OSError:
        return None


for line in sys.stdin:
    request = json.loads(line)
    if request.get("op") == "create":
        start = module_start(request)
        if start is not None and start != b"\0asm":
            refusal = {"id": request["id"], "ok": False,
                       "error": f"not a wasm binary (it begins {start!r}): this adapter reads no text"}
            print(json.dumps(refusal), flush=True)
            continue
    inner.stdin.write(line)
    inner.stdin.flush()
    print(inner.stdout.readline(), end="", flush=True)
