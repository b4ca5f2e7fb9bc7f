"""Figure functions, one module per study; shared helpers in :mod:`.common`."""
