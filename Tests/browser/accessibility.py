"""axe-core checks against WCAG 2.2 A and AA."""
from axe_playwright_python.sync_playwright import Axe

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_axe = Axe()


def violations(page):
    """Runs axe on the current page and returns its violations as readable lines (empty when there are none)."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    found = results.response.get("violations", [])
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {[n['target'] for n in v['nodes']][:3]})" for v in found]


def has_horizontal_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")
