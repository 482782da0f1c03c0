"""The page walk: every page of the permission matrix, opened in Chromium by every group that may open it.

Each page is opened in Chinese (locale zh-CN) at phone size (390x844, touch) and at desktop size (1366x900), with
the demo's data (`load_demo`; pages about one record use the matrix's objects, one per URL pattern). Checks:

- `status`: the server answers below 500;
- `console`: no error in the browser console and no uncaught script error (a refused Content-Security-Policy, a
  missing file and a failing htmx request all land there);
- `scroll` (phone): the page does not scroll sideways; wide tables scroll in their own box;
- `targets` (phone): every visible control (a, button, input, select, textarea, summary, [role=button]) is at least
  44x44 px. Exempt: a link that sits inline in a run of text (a paragraph, a list item or a table cell with more
  text than the link), as WCAG 2.5.5 allows; a checkbox or radio button inside its <label> is measured by the label,
  which is what a finger taps;
- `axe` (phone): axe-core (axe-playwright-python) finds no serious or critical violation;
- `english` (phone): no source string of the catalogue (a msgid that has a Chinese msgstr) shows on the page, in
  its visible text, placeholders or accessible names.

A screenshot of each page lands in test-artifacts/page-walk/ (GROUP--URL-NAME--SIZE.png) with summary.txt, the
counts per check. axe and the text checks run at phone size only: the markup and the words are the same at both
sizes, and running them twice would double the walk's time; axe scans each URL once (AXE_EVERY_GROUP).

To walk only a few pages while fixing them, name them (URL names, comma-separated) in PAGE_WALK_ONLY, e.g.
`PAGE_WALK_ONLY=payroll:structure-edit,inventory:movement-list pytest tests/browser/test_page_walk.py`: every group
that may open them, at both sizes, with the same checks; KNOWN_FAILURES of other pages are not called stale. Unset
(the default, and in CI), the walk covers every page.
"""

from __future__ import annotations

import gettext
import os
import re
import time
from collections import Counter
from pathlib import Path

import axe_playwright_python
import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.test_permission_matrix import GROUPS, LOGIN_AS, MATRIX, objects

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser

WALK_ARTIFACTS = ARTIFACTS / "page-walk"
SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}
AXE_SCRIPT = Path(axe_playwright_python.__file__).parent / "axe.min.js"  # the axe-core the package vendors
MIN_TARGET = 44  # px, both directions (WCAG 2.5.5)
# axe takes about as long as loading the page: it scans each URL once, as the first group (least rights first) that
# may open it; the other groups' differences (a few more buttons) are the same markup. True scans every visit.
AXE_EVERY_GROUP = False

# URLs of the matrix that are no page a person reads: walked by their own tests.
NOT_PAGES = {
    "health": "JSON for the load balancer",
    "api-schema": "the OpenAPI document (YAML)",
    "api-docs": "Swagger UI, a third-party page in English",
    "payroll:export-download": "a workbook download",
    "payroll:import-template": "a workbook download",
    "payroll:deduction-template": "a workbook download",
    "inventory:job-progress": "an htmx fragment inside the summary page",
    "payroll:run-progress": "an htmx fragment inside the run page",
    "payroll:export-progress": "an htmx fragment inside the run page",
}

# Failures that belong to other work in progress: (url name, check) → who fixes it. Empty this list as they land: an
# entry that no longer fails makes the walk fail too, so the list cannot go stale.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}

CONTROL_SIZES_JS = """
(min) => {
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  const inText = (link) => {
    if (getComputedStyle(link).display !== 'inline') return false;
    const block = link.closest('p, li, td, dd, figcaption, small, label, blockquote');
    return !!block && block.textContent.trim().length > link.textContent.trim().length;
  };
  const found = [];
  for (const element of document.querySelectorAll(controls)) {
    if (!element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    if (element.matches('a') && inText(element)) continue;
    let target = element;
    if (element.matches('input[type=checkbox], input[type=radio]')) {
      const label = element.id && document.querySelector(`label[for="${element.id}"]`);
      target = element.closest('label') || label || element;
    }
    const box = target.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // visually hidden on purpose (screen-reader text)
    if (box.width < min || box.height < min) {
      const name = (element.getAttribute('aria-label') || element.textContent || element.name || '').trim();
      const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
      found.push(`${element.tagName.toLowerCase()} "${name.slice(0, 30)}" ${size}`);
    }
  }
  return found;
}
"""

VISIBLE_TEXT_JS = """
() => {
  const parts = [document.body.innerText, document.title];
  // The whole text of each element that holds no other element (a label, a header cell, a button, an option):
  // a one-word source string counts only as such a whole text, since single English words also appear in
  // bilingual data ("电商部经理 E-commerce Manager").
  const whole = [];
  for (const element of document.body.querySelectorAll('*')) {
    if (element.closest('code, kbd, samp')) continue;  // names a program reads: a column, a formula's variable
    if (element.childElementCount === 0 && element.checkVisibility()) whole.push(element.textContent.trim());
  }
  for (const element of document.querySelectorAll('[placeholder], [aria-label], [title], input[type=submit]')) {
    if (!element.checkVisibility()) continue;
    for (const name of ['placeholder', 'aria-label', 'title', 'value']) {
      if (name === 'value' && element.type !== 'submit') continue;
      if (element.getAttribute(name)) parts.push(element.getAttribute(name));
    }
  }
  return [parts.join('\\n'), whole.concat(parts.slice(2))];
}
"""


def english_sources() -> list[tuple[str, re.Pattern]]:
    """The catalogue's source strings that have a Chinese translation, each as a pattern that finds it in text.

    A msgid with placeholders is looked for by its longest literal piece; one that its translation keeps (a code,
    "SKU") or that is a single short word is left out, since it also shows in data and in Chinese sentences. A
    single word counts only as the whole text of an element (VISIBLE_TEXT_JS).
    """
    path = Path(django_settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as file:
        catalogue = gettext.GNUTranslations(file)._catalog  # the parsed .mo: msgid → msgstr
    sources = {}
    for key, translated in catalogue.items():
        msgid = key[0] if isinstance(key, tuple) else key
        msgid = msgid.split("\x04", 1)[-1]  # a msgctxt comes first, joined by EOT
        if not msgid or not translated:
            continue
        piece = max(re.split(r"%\(\w+\)[sdf]|%[sdf]|\{[^}]*\}|\n", msgid), key=len).strip(" .:,;()…")
        if piece in translated or (len(re.findall(r"[A-Za-z]+", piece)) < 2 and len(piece) < 6):
            continue
        if not re.search(r"[A-Za-z]{3}", piece):
            continue
        sources[piece] = re.compile(rf"(?<![A-Za-z]){re.escape(piece)}(?![A-Za-z])")
    return sorted(sources.items())


def session_cookie(live_server, username: str) -> dict:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    value = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return {"name": django_settings.SESSION_COOKIE_NAME, "value": value, "url": live_server.url}


def only_pages() -> set[str]:
    """The URL names PAGE_WALK_ONLY asks for; empty means every page."""
    return {name.strip() for name in os.environ.get("PAGE_WALK_ONLY", "").split(",") if name.strip()}


def pages_for(group: str, kwargs: dict, only: set[str] = frozenset()) -> list[tuple[str, str]]:
    return [
        (name, reverse(name, kwargs=kwargs[key] if key else None))
        for name, (key, outcomes) in sorted(MATRIX.items())
        if outcomes[group] == "ok"
        and name not in NOT_PAGES
        and (not only or name in only)
        and not reverse_is_api(name, kwargs, key)
    ]


def reverse_is_api(name: str, kwargs: dict, key: str | None) -> bool:
    return reverse(name, kwargs=kwargs[key] if key else None).startswith("/api/")


class Walk:
    """One group at one size: a browser context signed in once, each page checked in turn."""

    def __init__(self, *, browser, live_server, group: str, size: str, sources):
        self.group, self.size, self.sources = group, size, sources
        self.context = browser.new_context(locale="zh-CN", **SIZES[size])
        self.context.set_default_timeout(15_000)
        if group != "anonymous":
            self.context.add_cookies([session_cookie(live_server, LOGIN_AS[group])])
        if size == "phone":  # axe-core loads with each page (not subject to the page's CSP), ready for the scan
            self.context.add_init_script(path=str(AXE_SCRIPT))
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda message: self._console(message))
        self.page.on("pageerror", lambda error: self.console.append(f"uncaught: {error}"))
        self.live_server = live_server

    def _console(self, message):
        if message.type == "error":
            self.console.append(message.text[:200])

    def check(self, name: str, url: str, clock: Counter, *, scan: bool) -> dict[str, list[str]]:
        self.console.clear()
        mark = time.monotonic()
        response = self.page.goto(f"{self.live_server.url}{url}", wait_until="load")
        found: dict[str, list[str]] = {}
        status = response.status if response else 0
        if status >= 500 or not status:
            found["status"] = [f"HTTP {status}"]
        phone = self.size == "phone"
        clock["load"] += time.monotonic() - mark
        mark = time.monotonic()
        if phone:
            width = self.page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
            if width[0] > width[1]:
                found["scroll"] = [f"page is {width[0]} px wide in a {width[1]} px screen"]
            if small := self.page.evaluate(CONTROL_SIZES_JS, MIN_TARGET):
                found["targets"] = small
            clock["layout checks"] += time.monotonic() - mark
            mark = time.monotonic()
            if scan:
                results = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
                serious = [
                    f"{violation['id']} ({violation['impact']}): {len(violation['nodes'])} element(s)"
                    for violation in results["violations"]
                    if violation["impact"] in {"serious", "critical"}
                ]
                if serious:
                    found["axe"] = serious
            clock["axe"] += time.monotonic() - mark
            mark = time.monotonic()
            text, whole = self.page.evaluate(VISIBLE_TEXT_JS)
            whole = set(whole)
            if english := [
                piece
                for piece, pattern in self.sources
                if (piece in whole if " " not in piece else pattern.search(text))
            ]:
                found["english"] = english
            clock["english"] += time.monotonic() - mark
            mark = time.monotonic()
        shot = WALK_ARTIFACTS / f"{self.group}--{name.replace(':', '-')}--{self.size}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        clock["screenshot"] += time.monotonic() - mark
        if self.console:
            found["console"] = list(self.console)
        return found

    def close(self):
        self.context.close()


def test_every_page_for_every_group_in_chinese_on_a_phone_and_a_desktop(browser, live_server, demo_data, settings):
    settings.MEDIA_ROOT = WALK_ARTIFACTS / "media"  # the export the matrix's objects write
    WALK_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    only = only_pages()
    assert only <= set(MATRIX), f"PAGE_WALK_ONLY names no page of the matrix: {sorted(only - set(MATRIX))}"
    patterns = [f"*--{name.replace(':', '-')}--*.png" for name in only] or ["*.png"]
    for old in [path for pattern in patterns for path in WALK_ARTIFACTS.glob(pattern)]:
        old.unlink()
    kwargs = objects()
    sources = english_sources()
    started = time.monotonic()
    failures: dict[tuple[str, str], list[str]] = {}
    counts: Counter = Counter()
    clock: Counter = Counter()
    visits = 0
    scanned: set[str] = set()
    for group in GROUPS:
        if group == "no_group":  # a login made by the matrix test only; its one page is the plain home page
            continue
        pages = pages_for(group, kwargs, only)
        for size in SIZES:
            walk = Walk(browser=browser, live_server=live_server, group=group, size=size, sources=sources)
            try:
                for name, url in pages:
                    visits += 1
                    scan = AXE_EVERY_GROUP or name not in scanned
                    scanned.add(name)
                    for check, details in walk.check(name, url, clock, scan=scan).items():
                        counts[check] += 1
                        failures.setdefault((name, check), []).append(f"{group}/{size} {url}: {'; '.join(details)}")
            finally:
                walk.close()
    elapsed = time.monotonic() - started
    unexpected = {key: lines for key, lines in failures.items() if key not in KNOWN_FAILURES}
    stale = sorted(key for key in set(KNOWN_FAILURES) - set(failures) if not only or key[0] in only)
    summary = [
        f"{visits} page visits in {elapsed:.0f} s; failing visits per check: {dict(sorted(counts.items()))}",
        "seconds per step: " + ", ".join(f"{step} {seconds:.0f}" for step, seconds in clock.items()),
        f"known failures still failing: {len(set(KNOWN_FAILURES) & set(failures))}; stale entries: {stale}",
        *(f"{name} [{check}] {line}" for (name, check), lines in sorted(failures.items()) for line in lines),
    ]
    (WALK_ARTIFACTS / "summary.txt").write_text("\n".join(summary) + "\n", encoding="utf-8")
    print("\n".join(summary[:3]))
    assert not unexpected and not stale, "\n".join(
        [f"Stale KNOWN_FAILURES entries (they pass now: remove them): {stale}"] * bool(stale)
        + [f"{name} [{check}] {line}" for (name, check), lines in sorted(unexpected.items()) for line in lines]
    )
