"""Open a Snakemake HTML report in headless Chromium (choreographer, which kaleido already brings)
and read what it shows after clicking through it, as a reader would."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

# Clicks, in order, the element whose whole text is each entry of ``path`` (a category, a
# subcategory) and, for the last entry (a figure), its row's last button: the caption view. An
# entry already shown as a table cell (a category with one subcategory lists its figures at
# once) is not clicked. Returns the page's visible text after each step, or which entry it could
# not find within 10 s.
_CLICK_THROUGH = r"""
(async (path) => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const deepest = (text, inTable) => [...document.querySelectorAll('body *')].filter(
      el => el.textContent.trim() === text && ![...el.children].some(c => c.textContent.trim() === text)
            && !!el.closest('tr') === inTable)[0];
  const pages = [];
  for (const [i, text] of path.entries()) {
    const last = i === path.length - 1;
    for (let k = 0; k < 100 && !deepest(text, last) && !deepest(text, !last); k++) await sleep(100);
    let el = deepest(text, last);
    if (!el && !last && deepest(text, true)) { pages.push(document.body.innerText); continue; }
    if (!el) return JSON.stringify({missing: text, pages});
    if (last) { const links = el.closest('tr').querySelectorAll('a'); el = links[links.length - 1]; }
    el.click();
    await sleep(300);
    pages.push(document.body.innerText);
  }
  return JSON.stringify({pages});
})
"""


async def _click_through(report: Path, path: list[str]) -> dict:
    import choreographer

    async with choreographer.Browser(headless=True) as browser:
        tab = await browser.create_tab(report.resolve().as_uri())
        expression = f"({_CLICK_THROUGH})({json.dumps(path)})"
        for _ in range(100):  # until the page has loaded enough to evaluate in
            reply = await tab.send_command("Runtime.evaluate", params={
                "expression": expression, "awaitPromise": True, "returnByValue": True})
            value = reply["result"]["result"].get("value")
            if isinstance(value, str):
                return json.loads(value)
            await asyncio.sleep(0.2)
        raise RuntimeError(f"the report {report} never evaluated the script: {reply}")


def click_through(report: Path, path: list[str]) -> list[str]:
    """The visible text of ``report`` after each click of ``path``; fails naming an entry not shown."""
    result = asyncio.run(_click_through(report, path))
    assert "missing" not in result, f"{result['missing']!r} not shown in {report} after {len(result['pages'])} clicks"
    return result["pages"]
