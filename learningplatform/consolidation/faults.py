"""Deterministic crash points, for the tests that kill a consolidation and run it again.

Setting CONSOLIDATION_KILL_AT=<point> (say `tasks:0:before-commit`) makes the process kill
itself with SIGKILL when it reaches that point: a real crash, with no cleanup, at a known place.
"""

import os
import signal


def fault_point(name: str) -> None:
    if os.environ.get("CONSOLIDATION_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
