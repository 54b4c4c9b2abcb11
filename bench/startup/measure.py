"""Run one command as a child and report its wall time and peak RSS, measured from outside.

Usage: python3 measure.py CMD [ARGS...]; writes {"ms", "cpuMs", "maxrssKb", "exit"} as JSON to fd 3.
Wall time runs from just before fork to wait4's return (this wrapper's own start-up is not in it);
CPU time is the child's user + system time; peak RSS is its ru_maxrss from wait4 (kilobytes on Linux). Linux counts the forked copy of
this wrapper (about 10 MB) into it, a floor far below any runtime's own peak. The child inherits
stdout and stderr, not fd 3.
"""
import json
import os
import sys
import time

argv = sys.argv[1:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.close(3)
        os.execvp(argv[0], argv)
    except OSError as e:
        os.write(2, f"measure.py: cannot run {argv[0]}: {e}\n".encode())
    os._exit(127)
_, status, usage = os.wait4(pid, 0)
ms = (time.perf_counter() - t0) * 1000
cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
os.write(3, json.dumps({"ms": ms, "cpuMs": cpu_ms, "maxrssKb": usage.ru_maxrss, "exit": os.waitstatus_to_exitcode(status)}).encode())
