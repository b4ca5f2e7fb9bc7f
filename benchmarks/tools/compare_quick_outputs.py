"""Compare the quick preset's result tables and figure data of two run directories, exactly.

Used to show that a refactoring changed no number: run the quick preset in two clones (before and
after), then  python benchmarks/tools/compare_quick_outputs.py <before-dir> <after-dir>  (exit 0: identical).
Provenance records (``*.provenance.json``, an npz's ``__provenance__``, parquet metadata, the claims'
``provenance`` field and column) name the commit, code hashes and wall times, so they differ by design
and are left out; everything else is compared exactly (figure-data CSVs as tables).
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("before", type=Path, help="working directory of the first run")
parser.add_argument("after", type=Path, help="working directory of the second run")
args = parser.parse_args()
a, b = args.before, args.after
PROVENANCE_SUFFIX, PROVENANCE_ENTRY = ".provenance.json", "__provenance__"


# rendered from the claims table beside it (with its provenance column): compared through that table
RENDERED = {"claims.html"}


def outputs(root: Path) -> list[Path]:
    found = [p for p in root.glob("results/quick/**/*") if p.is_file()] + list(root.glob("figures/quick/**/*.csv"))
    return sorted(p.relative_to(root) for p in found
                  if not p.name.endswith(PROVENANCE_SUFFIX) and p.name not in RENDERED)


def _without_provenance(value):
    """A JSON value with every "provenance" entry left out (claims name the commit there)."""
    if isinstance(value, dict):
        return {k: _without_provenance(v) for k, v in value.items() if k != "provenance"}
    if isinstance(value, list):
        return [_without_provenance(v) for v in value]
    return value


files, other = outputs(a), set(outputs(b))
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
            keys = sorted(set(fa.files) - {PROVENANCE_ENTRY})
            if keys != sorted(set(fb.files) - {PROVENANCE_ENTRY}) or any(
                    not np.array_equal(fa[k], fb[k], equal_nan=fa[k].dtype.kind in "fc") for k in keys):
                bad.append((rel, "arrays differ"))
    elif rel.suffix == ".json":
        if _without_provenance(json.loads(pa.read_text())) != _without_provenance(json.loads(pb.read_text())):
            bad.append((rel, "values differ"))
    elif rel.suffix == ".csv":
        ta, tb = (pd.read_csv(p).drop(columns=["provenance"], errors="ignore") for p in (pa, pb))
        try:
            pd.testing.assert_frame_equal(ta, tb, check_exact=True)
        except AssertionError as e:
            bad.append((rel, str(e)[:200]))
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
