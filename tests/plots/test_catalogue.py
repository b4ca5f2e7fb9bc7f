"""The figure catalogue: the one source of the report's captions and of docs/figures.md."""

import io

import pytest

from pcrepro.plots.catalogue import (
    caption_rst,
    catalogue_markdown,
    load_catalogue,
    write_captions,
)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # docutils 0.22 renames writer_name; older ones need it
def test_every_caption_is_valid_restructuredtext_and_the_catalogue_page_lists_every_family():
    """docutils reports nothing (an unescaped | or a stray backquote would warn), and the docs page
    is rendered from the same entries."""
    from docutils.core import publish_parts

    catalogue = load_catalogue()
    page = catalogue_markdown(catalogue)
    for family, entry in catalogue["families"].items():
        warnings = io.StringIO()
        html = publish_parts(caption_rst(catalogue, family).replace('{{ snakemake.config["preset"] }}', "quick"),
                             writer_name="html", settings_overrides={"warning_stream": warnings, "report_level": 1})
        assert not warnings.getvalue(), f"{family}: {warnings.getvalue()}"
        assert f"<strong>{family}</strong>" in html["body"]
        assert f"| `{family}` | {entry['summary'].replace('|', chr(92) + '|')}" in page



def test_captions_are_rewritten_only_when_their_text_changes(tmp_path):
    catalogue = load_catalogue()
    paths = write_captions(catalogue, tmp_path)
    assert set(paths) == set(catalogue["families"])
    stamp = {f: p.stat().st_mtime_ns for f, p in paths.items()}
    catalogue["families"]["chains_stats"]["summary"] = "A new summary."
    write_captions(catalogue, tmp_path)
    changed = {f for f, p in paths.items() if p.stat().st_mtime_ns != stamp[f]}
    assert changed == {"chains_stats"} and "A new summary." in paths["chains_stats"].read_text()
