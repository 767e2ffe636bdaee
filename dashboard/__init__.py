"""One Screen core: settings, regions, metrics, snapshots and figure builders. Imports no dash."""

from dashboard.malloc import one_malloc_arena

one_malloc_arena()
