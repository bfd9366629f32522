#!/usr/bin/env python3
"""The Python example adapter (conformance/adapters/python/trace_adapter.py) with one
injected defect, for the HTML report's browser test: it drops the warnings of `stop`
(a cleanup that trapped, ran out of fuel or timed out is reported as a clean stop), as
an adapter that forgets to forward a field would. Usage: as trace_adapter.py."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "conformance", "adapters", "python"))
import trace_adapter  # noqa: E402

operate = trace_adapter.Component.operate


def operate_dropping_warnings(self, op, arg=None):
    answer = operate(self, op, arg)
    if "warnings" in answer["outcome"]:
        answer["outcome"]["warnings"] = []
    answer["events"] = [e for e in answer["events"] if not e.get("text", "").startswith("warning:")]
    return answer


trace_adapter.Component.operate = operate_dropping_warnings

if __name__ == "__main__":
    trace_adapter.main()
