"""`python -m dashboard ...`: the command line lives beside the app (cli.py), wired as the app is."""

import sys

from cli import main

sys.exit(main())
