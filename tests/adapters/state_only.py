#!/usr/bin/env python3
"""A runtime with known faults, for the attribution tests: a proxy in front of
`lifecycle-kit adapter` (the reference runtime) that behaves like the actor runtimes the
kit was tried on, one fault per flag:

  --messages-never-delivered  a `send` to a `ready` component is answered ok with no
                              reply and no guest calls; the guest never runs it
  --health-never-called       a `health` of a `ready` component is answered `healthy`
                              without entering `_health`
  --compiles-per-start        declares `compilations`, and counts one compilation for
                              every start that got past validation, a refused second
                              start included (an Engine and a compile per start, before
                              the state is checked)
  --no-guest-calls            reports no guest calls at all (a runtime that exposes only
                              its state)
  --no-accounting             accounts no memory
  --over-accounting           accounts a tebibyte more than it holds, while it holds any
  --no-instances              counts no live instances
  --counts-no-compilations    declares `compilations`, and counts none
  --state-always-ready        says every component is `ready` after every operation
  --declares-no-fuel          declares no `fuel` capability (and is otherwise right)

Usage: state_only.py [FLAGS...] PATH-TO-lifecycle-kit"""
import json
import subprocess
import sys

flags = {a for a in sys.argv[1:] if a.startswith("--")}
binary = [a for a in sys.argv[1:] if not a.startswith("--")][0]
inner = subprocess.Popen([binary, "adapter"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

handshake = json.loads(inner.stdout.readline())
if "--compiles-per-start" in flags or "--counts-no-compilations" in flags:
    handshake["capabilities"]["compilations"] = True
if "--declares-no-fuel" in flags:
    handshake["capabilities"]["fuel"] = False
handshake["name"] = "state-only"
print(json.dumps(handshake), flush=True)

states = {}  # component -> its state after the last answer
compiled = 0  # starts that got past validation


def ask(line):
    inner.stdin.write(line)
    inner.stdin.flush()
    return json.loads(inner.stdout.readline())


def operation(request, outcome):
    """An answer made here, without the runtime behind: the component's state unchanged."""
    return {"id": request["id"], "ok": True, "outcome": outcome, "events": [],
            "state": states[request["component"]]}


for line in sys.stdin:
    request = json.loads(line)
    op, component = request.get("op"), request.get("component")
    if op == "create":
        states[component] = "creating"
    ready = states.get(component) == "ready"
    if op == "send" and ready and "--messages-never-delivered" in flags:
        answer = operation(request, {"op": "message", "ok": True,
                                     "message_hex": request["message_hex"], "reply_hex": ""})
    elif op == "health" and ready and "--health-never-called" in flags:
        answer = operation(request, {"op": "health", "ok": True, "health": "healthy"})
    else:
        answer = ask(line)
    if "state" in answer and component is not None:
        states[component] = answer["state"]
        if "--state-always-ready" in flags:
            answer["state"] = "ready"
    if op == "start":
        outcome = answer["outcome"]
        kind = outcome.get("error", {}).get("kind")
        if kind not in ("validation_failed", "component_not_found"):
            compiled += 1
    if "--no-guest-calls" in flags and "events" in answer:
        answer["events"] = [e for e in answer["events"] if e.get("event") != "guest_call"]
    if op == "counters":
        if "--no-accounting" in flags:
            answer["accounted_memory_bytes"] = 0
        if "--over-accounting" in flags and answer["accounted_memory_bytes"] > 0:
            answer["accounted_memory_bytes"] += 1 << 40
        if "--no-instances" in flags:
            answer["live_instances"] = 0
        if "--compiles-per-start" in flags:
            answer["compilations"] = compiled
        if "--counts-no-compilations" in flags:
            answer["compilations"] = 0
    print(json.dumps(answer), flush=True)
