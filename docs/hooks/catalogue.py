"""mkdocs hook: renders the figure catalogue (src/pcrepro/plots/catalogue.yaml) into docs/figures.md,
where the page has its marker, so that the page and the report's captions share one source."""

from pcrepro.plots.catalogue import catalogue_markdown, load_catalogue

MARKER = "<!-- catalogue: rendered from src/pcrepro/plots/catalogue.yaml by docs/hooks/catalogue.py -->"


def on_page_markdown(markdown, page, **kwargs):
    if page.file.src_uri != "figures.md":
        return markdown
    if MARKER not in markdown:
        raise ValueError(f"docs/figures.md lost its catalogue marker: {MARKER}")
    return markdown.replace(MARKER, catalogue_markdown(load_catalogue()))
