"""Command line: `python -m dashboard serve` (more commands arrive with the sources and aggregates)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse the command and run it."""
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="One Screen command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the dashboard with the settings from the environment")
    args = parser.parse_args(argv)
    if args.command == "serve":
        import app  # the composition root lives beside dashboard/, which itself imports no dash

        return app.main()
    return 2  # pragma: no cover - argparse rejects other commands


if __name__ == "__main__":
    sys.exit(main())
