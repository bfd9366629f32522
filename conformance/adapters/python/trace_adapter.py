#!/usr/bin/env python3
"""A lifecycle adapter (protocol lifecycle-adapter/2, see conformance/ADAPTER.md) in Python.

It checks a runtime reached through a command line: every operation re-runs
`lifecycle-kit trace` with the script so far (start, messages, health, stop; traces are
deterministic) and reports that operation's part of the trace. Sequences `trace` cannot
express (a second start, anything after stop, a message after health, ...) are refused
with a protocol error naming the reason.

Usage: python3 trace_adapter.py [PATH-TO-lifecycle-kit]
"""
import json
import os
import subprocess
import sys
import tempfile

KIT = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("LIFECYCLE_KIT", "lifecycle-kit")
ORDER = {"start": 0, "send": 1, "health": 2, "stop": 3}
# `trace` takes each limit as a flag named after its key, in the same unit
# (contract/src/limits.rs), but for the two flags older than the keys.
LIMIT_FLAGS = {"max_memory_bytes": "--max-memory", "fuel_per_call": "--fuel"}


def limit_flags(limits):
    """The `trace` flags that set these limits (the protocol's `limits` object)."""
    args = []
    for key, value in limits.items():
        args += [LIMIT_FLAGS.get(key, "--" + key.replace("_", "-")), str(value)]
    return args


class Inexpressible(Exception):
    pass


def protocol_event(e):
    """A `trace --json` event in the protocol's form: transitions and guest calls as they
    are (they are compared), anything else a note."""
    kind = e["event"]
    if kind in ("transition", "guest_call"):
        return e
    if kind == "growth_denied":
        return {"event": "note", "text": f"{e['resource']} growth denied ({e['current']} -> {e['desired']})"}
    if kind == "warning":
        w = e["warning"]
        return {"event": "note", "text": f"warning: {w['kind']}" + (f" ({w['trap']})" if "trap" in w else "")}
    return {"event": "note", "text": kind}


class Component:
    def __init__(self, request, workdir):
        self.profile = request["profile"]
        self.limits = request["limits"]
        if "module_hex" in request:
            self.module = os.path.join(workdir, request["component"] + ".wasm")
            with open(self.module, "wb") as f:
                f.write(bytes.fromhex(request["module_hex"]))
        else:
            self.module = request["module_path"]
        self.ops = []
        # What the runtime held right after this component's last operation.
        self.held = {"live_instances": 0, "accounted_memory_bytes": 0}

    def add(self, op, arg=None):
        if self.ops and self.ops[-1][0] == "stop":
            raise Inexpressible(f"`{op}` after stop")
        if not self.ops and op not in ("start", "stop"):
            raise Inexpressible(f"`{op}` before start")
        if self.ops and ORDER[op] < ORDER[self.ops[-1][0]]:
            raise Inexpressible(f"`{op}` after `{self.ops[-1][0]}`")
        if self.ops and op in ("start", "health") and op == self.ops[-1][0]:
            raise Inexpressible(f"a second `{op}`")
        if not self.ops and op == "stop":
            raise Inexpressible("stop before start")
        self.ops.append((op, arg))

    def trace(self):
        args = [KIT, "trace", self.module, "--json", "--profile", self.profile] + limit_flags(self.limits)
        for op, arg in self.ops:
            if op == "send":
                args += ["--send", arg]
            elif op == "health":
                args.append("--health")
            elif op == "stop":
                args += ["--stop-timeout-ms", str(arg)]
        return json.loads(subprocess.run(args, check=True, capture_output=True).stdout)

    def operate(self, op, arg=None):
        self.add(op, arg)
        trace = self.trace()
        index = len(self.ops) - 1 if op != "stop" else len(trace["ops"]) - 1
        state = "creating"
        for step in trace["ops"][: index + 1]:
            for e in step["events"]:
                if e["event"] == "transition":
                    state = e["to"]
        outcome = dict(trace["ops"][index])
        events = [protocol_event(e) for e in outcome.pop("events") if e["event"] != "error"]
        self.held = outcome.pop("held")
        outcome.pop("calls", None)
        return {"outcome": outcome, "events": events, "state": state}


def handle(request, components, workdir):
    op = request["op"]
    if op == "counters":
        # Every trace is its own process; what a component holds is what its trace's
        # runtime held right after the operation the component is at.
        return {key: sum(c.held[key] for c in components.values())
                for key in ("live_instances", "accounted_memory_bytes")}
    name = request["component"]
    if op == "create":
        components[name] = Component(request, workdir)
        return {}
    if op == "drop":
        components.pop(name)
        return {}
    component = components[name]
    if op == "send":
        try:
            text = bytes.fromhex(request["message_hex"]).decode("utf-8")
        except UnicodeDecodeError:
            raise Inexpressible("a message that is not UTF-8 text")
        return component.operate("send", text)
    if op == "stop":
        return component.operate("stop", request["timeout_ms"])
    return component.operate(op)


def main():
    # Each trace compiles its module anew in a new process: compilations are not counted.
    hello = {"protocol": "lifecycle-adapter/2", "name": "python-trace-adapter", "version": "2",
             "capabilities": {"standard_profile": True, "fuel": True, "timeouts": True,
                              "compilations": False}}
    print(json.dumps(hello), flush=True)
    components = {}
    with tempfile.TemporaryDirectory() as workdir:
        for line in sys.stdin:
            if not line.strip():
                continue
            request = json.loads(line)
            try:
                answer = {"ok": True, **handle(request, components, workdir)}
            except Inexpressible as e:
                answer = {"ok": False, "error": f"not expressible with `lifecycle-kit trace`: {e}"}
            except (KeyError, ValueError, subprocess.CalledProcessError) as e:
                answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            answer["id"] = request.get("id", 0)
            print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
