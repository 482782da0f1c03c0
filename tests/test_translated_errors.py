"""Errors our code raises are put into words in the language of the person who reads them (issue 13): the API's
answers follow Accept-Language, and no user-facing error is raised with a bare English string.

The scan below finds a string literal (or f-string) handed to an error a person reads: an exception class other
than the programmer's errors (TypeError, ValueError...), a DRF ValidationError's dict of messages, or a Response's
"detail". A message wrapped in gettext is a call, not a literal, and passes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from inventory.models import InventoryJob
from payroll.engine import ComponentError, ComponentSpec, compile_components

from .factories import UserFactory

# Errors for the developer or the operator, never shown on a page or in an API answer.
NOT_FOR_USERS = {
    "AssertionError",
    "CommandError",
    "DecryptionError",  # a missing key: the operator's log (shop_ops/encryption.py)
    "ImproperlyConfigured",
    "RuntimeError",
    "TypeError",
    "ValueError",
}
# Files whose errors only an operator sees (settings, the environment, the backup command's checks).
OPERATOR_FILES = {"shop_ops/settings.py", "shop_ops/env.py", "roles/backup.py"}


def _literal(node) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and any(c.isalpha() for c in node.value)
    )


def _messages(node) -> list:
    """The message expressions of an error's argument: itself, or the values of a {field: [messages]} dict."""
    if isinstance(node, ast.Dict):
        return [item for value in node.values for item in _messages(value)]
    if isinstance(node, ast.List | ast.Tuple):
        return [item for element in node.elts for item in _messages(element)]
    if isinstance(node, ast.DictComp):
        return _messages(node.value)
    return [node]


def untranslated_errors() -> list[str]:
    found = []
    root = Path(django_settings.BASE_DIR)
    for path in sorted(root.glob("*/**/*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "tests", "bench"} or "migrations" in relative.parts:
            continue
        if relative.as_posix() in OPERATOR_FILES or "management" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None) or ""
            if name == "Response" and node.args and isinstance(node.args[0], ast.Dict):
                messages = [
                    value
                    for key, value in zip(node.args[0].keys, node.args[0].values, strict=True)
                    if isinstance(key, ast.Constant) and key.value == "detail"
                ]
            elif (name.endswith(("Error", "Conflict", "Denied")) or name in {"NotFound", "NotYourItem"}) and (
                name not in NOT_FOR_USERS
            ):
                messages = [item for argument in node.args[:1] for item in _messages(argument)]
            else:
                continue
            found += [f"{relative}:{node.lineno} {name}" for message in messages if _literal(message)]
    return found


def test_no_error_a_person_reads_is_raised_in_bare_english():
    assert untranslated_errors() == []


def test_the_scan_finds_a_bare_message(tmp_path, settings):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(
        'raise NotFound("No such thing.")\n'
        'raise ValidationError({"field": [f"Bad {value}."]})\n'
        'raise ValidationError({"field": [_("Bad value.")]})\n'
        'return Response({"detail": "Gone."}, status=404)\n'
        'raise TypeError("a programmer error")\n'
    )
    settings.BASE_DIR = tmp_path
    assert untranslated_errors() == [
        "app/views.py:1 NotFound",
        "app/views.py:2 ValidationError",
        "app/views.py:4 Response",
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "请用以下之一：today, week, month。"), ("en", "Use one of: today, week, month.")],
)
def test_an_api_validation_message_follows_accept_language(api_as, manager, language, expected):
    response = api_as(manager).get("/api/checklist-stats/", {"period": "year"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert response.json()["errors"]["period"] == [expected]


def test_api_answers_written_in_our_code_come_out_chinese(api_as, manager, warehouse):
    client = api_as(manager)
    chinese = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    unknown = client.get("/api/roles/", {"deparment": 1}, **chinese)
    assert unknown.status_code == 400 and unknown.json()["errors"]["deparment"][0].startswith("未知的查询参数。可用：")
    page_size = client.get("/api/roles/", {"page_size": "0"}, **chinese)
    assert page_size.json()["errors"]["page_size"] == ["1 到 500 之间的整数。"]
    dates = client.get("/api/checklist-stats/", {"start": "31/03/2026"}, **chinese)
    assert dates.json()["errors"]["start"] == ["日期的格式如 2026-03-31。"]
    job = InventoryJob.objects.create(kind="summary_export", month="2026-03-01", requested_by=UserFactory())
    download = api_as(warehouse).get(f"/api/inventory/jobs/{job.pk}/download/", **chinese)
    assert download.status_code == 404 and download.json()["detail"] == "该任务（还）没有完成的文件。"


def test_a_formula_editor_message_comes_out_chinese():
    twice = [ComponentSpec("extra", "补贴", "earning", "1"), ComponentSpec("extra", "补贴", "earning", "2")]
    with pytest.raises(ComponentError) as error:
        compile_components(twice)
    with translation.override("zh-hans"):
        assert str(error.value.message) == "工资项目编码“extra”用了两次。"
    with translation.override("en"):
        assert str(error.value.message) == "Component code 'extra' is used twice."
