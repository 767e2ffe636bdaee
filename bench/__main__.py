"""`python -m bench`: run every benchmark and print its figures."""

from bench import overview

if __name__ == "__main__":
    overview.main()
