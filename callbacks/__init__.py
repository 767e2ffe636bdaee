"""Module-level Dash callbacks, one module per page; importing a module registers its callbacks."""
