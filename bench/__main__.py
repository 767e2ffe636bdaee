"""`python -m bench [overview | export | load | refresh | load-serve] [options]`: run one benchmark, or every
one, and print their figures."""

import sys

from bench import export, load, overview, refresh, serve

BENCHMARKS = {
    "overview": overview.main,
    "export": export.main,
    "load": load.main,
    "refresh": refresh.main,
    "load-serve": serve.main,
}

if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv and argv[0] in BENCHMARKS:
        BENCHMARKS[argv[0]](argv[1:])
    else:
        for name, run in BENCHMARKS.items():
            print(f"== {name}")
            run(argv)
