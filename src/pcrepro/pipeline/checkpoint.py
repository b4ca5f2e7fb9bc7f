"""Checkpoints of a long job's state, so that a killed job resumes where it stopped.

A checkpoint is one ``.npz`` written atomically (:func:`pcrepro.data.save_npz_atomic`):
the leaves of a pytree of host arrays, named arrays beside it, and a *fingerprint* of
everything the state depends on. A checkpoint whose fingerprint differs (the cell's
settings, its runs or its data changed) is never resumed from: it is ignored and
overwritten. Resuming is exact: the saved arrays are the very inputs of the next
program, so a resumed job computes bit for bit what an uninterrupted one does.
"""

from __future__ import annotations

import hashlib
import warnings
import zipfile
from pathlib import Path
from typing import Any

import jax
import numpy as np

from pcrepro.data import save_npz_atomic

_FINGERPRINT = "__fingerprint__"
_LEAF = "__leaf_{}__"


def fingerprint(*parts: Any) -> str:
    """A digest of ``parts``: arrays by their dtype, shape and bytes, anything else by ``repr``."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(f"{part.dtype}{part.shape}".encode())
            digest.update(np.ascontiguousarray(part).tobytes())
        else:
            digest.update(repr(part).encode())
    return digest.hexdigest()


def save(path: str | Path, key: str, tree: Any, **arrays: np.ndarray) -> None:
    """Write ``tree``'s leaves and ``arrays`` under fingerprint ``key`` (atomically)."""
    leaves = {_LEAF.format(i): np.asarray(leaf) for i, leaf in enumerate(jax.tree_util.tree_leaves(tree))}
    payload = {_FINGERPRINT: np.asarray(key), **leaves, **{k: np.asarray(v) for k, v in arrays.items()}}
    save_npz_atomic(path, **payload)


def load(path: str | Path, key: str, like: Any) -> tuple[Any, dict[str, np.ndarray]] | None:
    """The tree (structured as ``like``) and named arrays saved under ``key``; None when there is
    no checkpoint, or it was written for another fingerprint or another tree structure, or it
    cannot be read (truncated, corrupt: a warning names it, and the job starts over, overwriting it)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return _load(path, key, like)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        warnings.warn(f"checkpoint {path} cannot be read ({type(err).__name__}: {err}); ignoring it: the job "
                      f"starts from its beginning and overwrites it", stacklevel=2)
        return None


def _load(path: Path, key: str, like: Any) -> tuple[Any, dict[str, np.ndarray]] | None:
    with np.load(path) as saved:
        if str(saved[_FINGERPRINT]) != key:
            return None
        like_leaves, treedef = jax.tree_util.tree_flatten(like)
        leaves = [saved[_LEAF.format(i)] for i in range(len(like_leaves)) if _LEAF.format(i) in saved]
        if len(leaves) != len(like_leaves) or any(
                a.shape != np.shape(b) or a.dtype != np.asarray(b).dtype for a, b in zip(leaves, like_leaves)):
            return None
        arrays = {k: saved[k] for k in saved.files if k != _FINGERPRINT and not k.startswith("__leaf_")}
    return jax.tree_util.tree_unflatten(treedef, leaves), arrays


__all__ = ["fingerprint", "save", "load"]
