#!/usr/bin/env python3
"""
Runs the PyTorch reference step bench (shared/reference/torch_step_bench.py, beside the
repository; its path is the first argument) many times in one process, for bench/index.ts.

Each line on stdin is a JSON list of the reference's arguments (["--arch", "cnn", ...]); for
each, the reference runs unchanged (runpy, as `python3 REFERENCE ARGS` would) and one JSON line
comes back on stdout: the reference's own result plus, per path, every timed step's wall time
(`<path>_samples_ms`) and process CPU time (`<path>_cpu_samples_ms`, time.process_time: all
threads of this process), so the bench can take minima and spreads over rounds.

Why a driver rather than one process per round: importing torch costs ~2.5 s per process, the
price of every round when rounds are short. Why the samples can be read from outside: the
reference times each step as `t = time.perf_counter(); fn(); time.perf_counter() - t`, so the
calls to time.perf_counter made from the reference's own file come in (start, end) pairs, in
the order of its paths (ortho, plain, pgd10), `--steps` pairs each.
"""
import contextlib
import io
import json
import os
import runpy
import sys
import time

PATHS = ('ortho', 'plain', 'pgd10')


def main():
    reference = os.path.realpath(sys.argv[1])
    real_perf_counter = time.perf_counter
    marks = []

    def perf_counter():
        caller = sys._getframe(1).f_code.co_filename
        now = real_perf_counter()
        if os.path.realpath(caller) == reference:
            marks.append((now, time.process_time()))
        return now

    time.perf_counter = perf_counter
    for line in sys.stdin:
        args = json.loads(line)
        steps = int(args[args.index('--steps') + 1])
        marks.clear()
        sys.argv = [reference] + [str(a) for a in args]
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            runpy.run_path(reference, run_name='__main__')
        result = json.loads(captured.getvalue().strip().splitlines()[-1])
        if len(marks) == 2 * steps * len(PATHS):
            for k, path in enumerate(PATHS):
                pairs = [(marks[2 * i], marks[2 * i + 1]) for i in range(k * steps, (k + 1) * steps)]
                result[path + '_samples_ms'] = [round((e[0] - s[0]) * 1000, 3) for s, e in pairs]
                result[path + '_cpu_samples_ms'] = [round((e[1] - s[1]) * 1000, 3) for s, e in pairs]
        sys.stdout.write(json.dumps(result) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
