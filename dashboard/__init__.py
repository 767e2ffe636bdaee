"""One Screen core: settings, regions, metrics, snapshots and figure builders. Imports no dash."""
