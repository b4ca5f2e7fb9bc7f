"""The machinery that turns configs into results: no science is defined here.

================  ================================================================
``config``        schema validation (errors name the key), presets as overlays
``cells``         a study's grid → its cells (one job each) and a cell's runs
``runner``        trains a cell's runs together, a period at a time; checkpoints
``results``       tidy result tables, curve statistics, learning-rate selection
``notebook_lrs``  the learning rates the seed notebooks picked, for comparison
``budget``        GPU-hours of the paper preset; per-job time estimates
``checkpoint``    exact resume of a killed job
``devices``       one GPU per job (locks), CPU pinning
``progress``      job logs: progress lines, stdout / stderr capture
``runtime``       what a job sets before JAX starts (XLA flags, device, precision)
``jobserver``     one process per local run imports the science once and forks every job
================  ================================================================
"""
