"""The axe-core accessibility check the browser tests run on every page they visit.

axe-core is a test-only asset: ``scripts/copy_assets.py`` copies it from node_modules to
tests/e2e/vendor/, and the tests inject it into the page under test; the app never serves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# WCAG 2.1 A and AA, the level GB/T 37668 asks of public web services.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = frozenset({"critical", "serious"})


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:5])
        more = f" (+{len(self.targets) - 5})" if len(self.targets) > 5 else ""
        return f"[{self.impact}] {self.rule}: {self.help} — {shown}{more}"


def axe_violations(page: Any) -> list[Violation]:
    """Run axe-core on the page as it is now and return every WCAG 2.1 A/AA violation."""
    if not AXE_JS.exists():
        raise RuntimeError(f"{AXE_JS} is missing: run `npm ci` and scripts/copy_assets.py")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP (script-src 'self')
        # does not govern; a <script> tag would be refused, as it should be.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({
                rule: v.id, impact: v.impact || 'minor', help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')),
            }));
        }""",
        WCAG_TAGS,
    )
    return [Violation(v["rule"], v["impact"], v["help"], tuple(v["targets"])) for v in result]


def assert_accessible(page: Any) -> None:
    """Fail with the list of critical and serious violations on the current page, if any."""
    blocking = [v for v in axe_violations(page) if v.impact in BLOCKING]
    assert not blocking, f"{page.url}:\n" + "\n".join(str(v) for v in blocking)
