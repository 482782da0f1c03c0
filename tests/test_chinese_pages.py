"""Every page of the permission matrix, rendered in Chinese with the demo data: no English string that has a
translation may be left on it, and none of the English-only words the demo and the code used to show.

The catalogue is read from the compiled django.mo: every msgid with a translation, at least four characters long and
made of English words, is a string a Chinese reader must never see. Placeholders split a msgid into fragments;
only fragments of two or more words count, so "%(name)s changed" does not flag every page that shows a name.
"""

from __future__ import annotations

import ast
import gettext
import re
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from .test_permission_matrix import LOGIN_AS, MATRIX, objects

# The English the pages showed before the catalogue covered them (issue 13); none of it has a msgid.
ENGLISH_ONLY = [
    "Decision",
    "Hangzhou",
    "Marketing & Sales",
    "Base pay",
    "Profit share",
    "created",
    "changed",
    "deleted",
    "(qty)",
    "(value)",
    "Best campaign conversion",
    "Customer rating",
    "Monthly target reached",
]
# Whose pages to read, in order of preference: the first group the matrix lets in.
READERS = ("manager", "finance", "warehouse", "customer_service", "staff", "superuser")
# Text a page shows as the user typed or as the standard writes it, never translated.
NOT_ENGLISH = {"SKU", "SKUs", "Excel", "Logo", "English", "TOTP"}
PLACEHOLDER = re.compile(r"%\([^)]*\)[sdfr]|%[sdfr]|\{[^}]*\}")
ENGLISH_WORDS = re.compile(r"^[A-Za-z][A-Za-z'’,.:;!?()&/ -]*$")


# Not read as prose: scripts and styles; <code>, which shows names as a file or formula must write them; and
# <textarea>, whose text is a value kept in a form (the English description of a department is English).
HIDDEN_TAGS = {"script", "style", "template", "code", "textarea"}


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes and the attributes a browser shows (placeholders, titles, labels,
    button values), without scripts and styles."""

    SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN_TAGS:
            self._hidden += 1
        values = dict(attrs)
        self.parts.extend(values[name] for name in self.SHOWN_ATTRIBUTES if values.get(name))
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in HIDDEN_TAGS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def translated_english() -> list[str]:
    """The English phrases of the catalogue that have a Chinese translation."""
    path = Path(django_settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as file:
        catalogue = gettext.GNUTranslations(file)._catalog
    phrases = set()
    for msgid, msgstr in catalogue.items():
        if not isinstance(msgid, str) or not msgid or not msgstr or msgid == msgstr:
            continue
        msgid = msgid.split("\x04")[-1]  # pgettext: context\x04message
        fragments = PLACEHOLDER.split(msgid)
        for fragment in fragments:
            fragment = fragment.strip(" .:,;-—…")
            if len(fragments) > 1 and len(fragment.split()) < 2:
                continue
            if len(fragment) > 3 and ENGLISH_WORDS.match(fragment) and fragment not in NOT_ENGLISH:
                phrases.add(fragment)
    return sorted(phrases, key=len, reverse=True)


def english_names() -> list[str]:
    """The English names the demo keeps beside the Chinese ones (departments, roles, holidays, duties): a Chinese
    page shows the Chinese one only."""
    from roles.models import Department, DutyTemplate, Holiday, Role

    names = [
        *Department.objects.values_list("name_en", flat=True),
        *Role.objects.values_list("title_en", flat=True),
        *Holiday.objects.values_list("name_en", flat=True),
        *DutyTemplate.objects.values_list("text_en", flat=True),
    ]
    return sorted({name for name in names if len(name) > 3}, key=len, reverse=True)


def english_on(text: str, phrases: list[str]) -> list[str]:
    """The phrases that stand on the page as whole words ("Next" in "下一步 Next", not in "Nextcloud")."""
    words = set(re.findall(r"[A-Za-z]+", text))
    found = []
    for phrase in [*phrases, *ENGLISH_ONLY]:
        first = re.search(r"[A-Za-z]+", phrase)
        if first is None or first.group() not in words:  # cheap filter: most phrases share no word with the page
            continue
        pattern = (r"(?<![A-Za-z])" if phrase[0].isalpha() else "") + re.escape(phrase)
        pattern += r"(?![A-Za-z])" if phrase[-1].isalpha() else ""
        if re.search(pattern, text):
            found.append(phrase)
    return found


def pages() -> list[tuple[str, str | None, str]]:
    """(url name, objects key, group) for every page of the matrix that some group may open."""
    found = []
    for name, (key, outcomes) in sorted(MATRIX.items()):
        if name.startswith(("api", "accounts:two-factor")) or (":" not in name and name not in {"home"}):
            continue
        reader = next((group for group in READERS if outcomes.get(group) == "ok"), None)
        if reader is not None:
            found.append((name, key, reader))
    return found


def translated_at_import() -> list[str]:
    """Calls of gettext (not gettext_lazy) outside any function: they run once, when the module is imported, in
    whatever language is active then, and every later page shows that language."""
    found = []
    root = Path(django_settings.BASE_DIR)
    for path in sorted(root.glob("*/**/*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "tests", "bench"} or "migrations" in relative.parts:
            continue
        tree = ast.parse(path.read_text())
        eager = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
            for alias in node.names
            if alias.name in {"gettext", "pgettext", "ngettext"}
        }

        def visit(node, in_function: bool, path=relative, eager=eager):
            for child in ast.iter_child_nodes(node):
                inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                if (
                    not in_function
                    and isinstance(child, ast.Call)
                    and isinstance(child.func, ast.Name)
                    and child.func.id in eager
                ):
                    found.append(f"{path}:{child.lineno} {ast.unparse(child)[:60]}")
                visit(child, inside)

        visit(tree, False)
    return found


def test_nothing_is_translated_when_a_module_is_imported():
    assert translated_at_import() == []


def test_the_catalogue_phrases_are_english():
    phrases = translated_english()
    assert "Next" in phrases and "Warehouse" in phrases
    assert not any(PLACEHOLDER.search(phrase) for phrase in phrases)


def test_english_on_finds_whole_words_only():
    assert english_on("下一步 Next", ["Next"]) == ["Next"]
    assert english_on("Nextcloud", ["Next"]) == []
    assert english_on("原因 Decision", []) == ["Decision"]


@pytest.mark.django_db
def test_chinese_pages_show_no_english(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        call_command("load_demo", password="words-pass-123", stdout=StringIO())
        from django.contrib.auth import get_user_model

        users = {group: get_user_model().objects.get(username=name) for group, name in LOGIN_AS.items()}
        kwargs = objects()
    phrases = translated_english() + english_names()
    leaks = []
    for name, key, group in pages():
        client.force_login(users[group])
        url = reverse(name, kwargs=kwargs[key] if key else None)
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        found = english_on(visible_text(response.content.decode()), phrases)
        if found:
            leaks.append(f"{url} ({group}): {found}")
    assert not leaks, "English on Chinese pages:\n" + "\n".join(leaks)
