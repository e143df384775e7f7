"""The request half of scripts/bench-cost: drives a running server with a fixed number of requests of one kind and
prints what the server process spent on them, from its own accounting.

    python3 scripts/bench/cost.py --pid PID --port PORT --kind page|submit|report --requests N --victims FILE
        [--first K] [--jar COOKIE] [--report PATH] [--clients C] [--callgrind]

CPU time is utime + stime of /proc/PID/stat (all of the process's threads, those that ended too), read before and
after; with --callgrind the server runs under valgrind's callgrind with instrumentation off, and the phase switches it
on, runs the requests, dumps and switches it off again, and the figure is the dump's instruction count (Ir).
Prints one line: `KIND REQUESTS CPU_SECONDS PER_REQUEST_MS` (or `KIND REQUESTS IR PER_REQUEST_IR`).
"""

import argparse
import glob
import http.client
import os
import re
import subprocess
import sys
import threading
import time

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3): utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / TICKS


def requests_for(kind: str, victims: list[tuple[str, str]], report: str, jar: str):
    """(method, path, headers, body) for each request of the phase."""
    if kind == "page":
        return lambda i: ("GET", PAGE_PATH, {"Cookie": f"sv_q={victims[i % len(victims)][0]}"}, None)
    if kind == "submit":
        def submit(i: int):
            cookie, csrf = victims[i]
            return ("POST", "/questionnaire/submit",
                    {"Cookie": f"sv_q={cookie}", "Content-Type": "application/x-www-form-urlencoded"}, f"csrf_token={csrf}")
        return submit
    if kind == "report":
        return lambda i: ("GET", report, {"Cookie": jar}, None)
    raise SystemExit(f"cost.py: unknown kind {kind}")


# A question page every prepared victim is shown (the third of the questionnaire).
PAGE_PATH = "/questionnaire/page/time_to_first_contact"


def run(port: int, make, count: int, clients: int, expect: set[int]) -> None:
    failures: list[str] = []

    def worker(start: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        for i in range(start, count, clients):
            method, path, headers, body = make(i)
            for _ in range(100):
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 503:
                    break
                time.sleep(0.2)
            if response.status not in expect:
                failures.append(f"{method} {path}: {response.status}")
        connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"cost.py: {len(failures)} unexpected answers, first: {failures[0]}")


def callgrind(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--kind", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--victims", required=True)
    parser.add_argument("--first", type=int, default=0, help="the first victim line to use (submissions spend them)")
    parser.add_argument("--jar", default="", help="the staff session's Cookie header, for the report")
    parser.add_argument("--report", default="")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--callgrind", default="", help="the callgrind output file prefix; instructions instead of CPU time")
    options = parser.parse_args()
    with open(options.victims) as lines:
        victims = [tuple(line.split()) for line in lines if line.strip()]
    if options.kind == "submit":
        victims = victims[options.first:options.first + options.requests]
        if len(victims) < options.requests:
            raise SystemExit("cost.py: not enough prepared victims left for the submissions")
    make = requests_for(options.kind, victims, options.report, options.jar)
    expect = {303} if options.kind == "submit" else {200}
    if options.callgrind:
        before = set(glob.glob(options.callgrind + "*"))
        callgrind(options.pid, "--instr=on")
        run(options.port, make, options.requests, options.clients, expect)
        callgrind(options.pid, f"--dump={options.kind}")
        callgrind(options.pid, "--instr=off")
        dumps = sorted(set(glob.glob(options.callgrind + "*")) - before, key=os.path.getmtime)
        if not dumps:
            raise SystemExit("cost.py: callgrind wrote no dump")
        with open(dumps[-1]) as dump:
            # "totals", not "summary": callgrind 3.19 writes a wrapped-around summary into later dumps of a threaded
            # program, while the totals (the sum of the dump's own costs) are right.
            total = next(int(m[1]) for line in dump if (m := re.match(r"totals: (\d+)", line)))
        print(f"{options.kind} {options.requests} {total} {total / options.requests:.0f}")
        return 0
    started = cpu_seconds(options.pid)
    run(options.port, make, options.requests, options.clients, expect)
    spent = cpu_seconds(options.pid) - started
    print(f"{options.kind} {options.requests} {spent:.2f} {spent / options.requests * 1000:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
