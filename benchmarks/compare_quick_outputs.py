"""Compare the quick preset's result tables and figure data of two run directories, exactly.

Used to show that a refactoring changed no number: run the quick preset in two clones (before and
after), then  python benchmarks/compare_quick_outputs.py <before-dir> <after-dir>  (exit 0: identical).
"""
import sys
from pathlib import Path

import numpy as np
import pandas as pd

a, b = map(Path, sys.argv[1:3])
files = sorted(p.relative_to(a) for p in a.glob("results/quick/**/*") if p.is_file()) + \
        sorted(p.relative_to(a) for p in a.glob("figures/quick/**/*.csv"))
other = set(p.relative_to(b) for p in b.glob("results/quick/**/*") if p.is_file()) | \
        set(p.relative_to(b) for p in b.glob("figures/quick/**/*.csv"))
bad = []
missing = set(files) ^ other
for rel in files:
    if rel not in other:
        continue
    pa, pb = a / rel, b / rel
    if rel.suffix == ".parquet":
        ta, tb = pd.read_parquet(pa), pd.read_parquet(pb)
        try:
            pd.testing.assert_frame_equal(ta, tb, check_exact=True)
        except AssertionError as e:
            bad.append((rel, str(e)[:200]))
    elif rel.suffix == ".npz":
        with np.load(pa) as fa, np.load(pb) as fb:
            if sorted(fa.files) != sorted(fb.files) or any(
                    not np.array_equal(fa[k], fb[k], equal_nan=fa[k].dtype.kind in "fc") for k in fa.files):
                bad.append((rel, "arrays differ"))
    elif pa.read_bytes() != pb.read_bytes():
        bad.append((rel, "bytes differ"))
print(f"{len(files)} files compared ({sum(f.suffix == '.parquet' for f in files)} tables, "
      f"{sum(f.suffix == '.npz' for f in files)} npz, {sum(f.suffix == '.csv' for f in files)} csv); "
      f"{len(bad)} differ; {len(missing)} only in one run")
for rel, why in bad[:30]:
    print("DIFF", rel, why)
for rel in sorted(missing)[:30]:
    print("ONLY ONE", rel)
sys.exit(1 if bad or missing else 0)
