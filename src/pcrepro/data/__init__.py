"""Datasets: acquisition, verification, caching, stand-ins and loading.

* MNIST, Fashion-MNIST and EMNIST ("mnist" split) come as IDX files in
  torchvision's raw layout ``<root>/<Name>/raw/<file>``. They are taken from an
  offline mirror (a directory or ``file://`` URL with that layout) when one is
  configured, else downloaded from the public mirrors torchvision uses, trying
  each mirror ``retries`` times. Every file is written under a temporary name,
  verified, and only then renamed into the cache, so a partial or corrupt file
  is never used.
* Verification: the MD5 of the gzip file as published, or, since a mirror may
  re-compress, the MD5 of the decompressed IDX payload as published; plus the
  IDX header (magic number, item count, image size). EMNIST is published as
  one ``gzip.zip`` whose MD5 is checked; a mirror holding the extracted files
  instead is checked by IDX structure and item counts only (no published
  checksums exist for the extracted files).
* MNIST-1D is regenerated locally with the ``mnist1d`` package.
* A synthetic, learnable stand-in of the same shapes replaces a dataset that
  cannot be obtained, only when explicitly asked for; it is labelled as such
  in the prepared file, the result tables and every figure drawn from it.

Nothing here downloads silently into the code tree: every path is an argument.
"""

from .atomic import write_atomic
from .formats import (
                       REAL,
                       REFERENCE_NORMALISATION,
                       STANDIN,
                       Dataset,
                       load_prepared,
                       save_npz_atomic,
                       shuffled_batches,
                       unreadable_prepared,
)
from .registry import (
                       ALIASES,
                       IMAGE_DATASETS,
                       ChecksumError,
                       DatasetUnavailable,
                       IdxFile,
                       ImageDataset,
                       canonical_name,
                       parse_idx,
                       verify_idx_file,
)
from .sources import (
                       FetchOptions,
                       fetch_raw,
                       how_to_provide,
                       prepare_image_dataset,
                       prepare_mnist1d,
                       unobtainable,
)
from .standins import synthetic_standin, toy_gaussian

__all__ = [
    "IMAGE_DATASETS", "ALIASES", "IdxFile", "ImageDataset", "DatasetUnavailable", "ChecksumError", "FetchOptions",
    "fetch_raw", "prepare_image_dataset", "prepare_mnist1d", "synthetic_standin", "toy_gaussian", "load_prepared",
    "save_npz_atomic", "shuffled_batches", "Dataset", "parse_idx", "verify_idx_file", "canonical_name", "REAL",
    "STANDIN", "REFERENCE_NORMALISATION", "write_atomic", "unobtainable", "how_to_provide",
    "unreadable_prepared",
]
