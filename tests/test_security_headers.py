"""The Content-Security-Policy and Permissions-Policy headers, and templates that need nothing the policy forbids.

Every page of the permission matrix sends both headers (tests/test_permission_matrix.py checks each response); the
browser test tests/browser/test_csp.py loads the pages in Chromium and collects violations."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from .test_settings import start_django

ROOT = Path(__file__).resolve().parent.parent

# What the policy must say: a change that loosens it has to change this test too.
REQUIRED_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return dict(parts)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/health/", "/api/schema/", "/api/docs/", "/api/"])
def test_the_policy_allows_nothing_inline(client, url):
    response = client.get(url)
    policy = directives(response["Content-Security-Policy"])
    for name, value in REQUIRED_DIRECTIVES.items():
        assert policy[name] == value, name
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_permissions_policy(client):
    header = client.get(reverse("login"))["Permissions-Policy"]
    features = dict(part.strip().split("=", 1) for part in header.split(","))
    assert features["camera"] == "(self)"  # barcode scanning with a phone, on this site only
    for feature in ("geolocation", "microphone", "payment", "usb", "display-capture"):
        assert features[feature] == "()"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on*= handler"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"\shx-on", re.I), "an hx-on handler (evaluated code)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]
TAGS = [ROOT / "roles" / "templatetags", ROOT / "payroll" / "templatetags", ROOT / "inventory" / "templatetags"]


def _sources():
    yield from sorted((ROOT / "templates").rglob("*.html"))
    for folder in TAGS:
        yield from sorted(folder.glob("*.py"))


@pytest.mark.parametrize("path", list(_sources()), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_need_no_inline_script_or_style(path):
    text = re.sub(r"{#.*?#}|{% comment %}.*?{% endcomment %}", "", path.read_text(), flags=re.S)
    found = [label for pattern, label in INLINE if pattern.search(text)]
    assert not found, f"{path.relative_to(ROOT)} has {', '.join(found)}: move it to static/js/ or static/css/"


def test_report_only_mode_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY is None, "
        "settings.CONTENT_SECURITY_POLICY_REPORT_ONLY['DIRECTIVES']['report-uri'])"
    )
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    environment.update(CSP_REPORT_ONLY="true", CSP_REPORT_URI="https://reports.example/csp")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["True", "['https://reports.example/csp']"], result.stderr
    assert "CSP_REPORT_URI" in start_django(CSP_REPORT_URI="ftp://x").stderr
