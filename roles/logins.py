"""Login names: one safe set, one normal form, and no look-alike of a login that exists.

A login name is what a colleague reads in the audit trail and what finance trusts on a payslip export, so a name
that only looks like `finance` (a Cyrillic і, full-width letters, `Finance`, a trailing space, a zero-width
character, `fin.ance` next to `fin_ance`) must not be creatable. Every path that creates or renames a login
(the employee services behind the pages and the API, the admin's user forms) calls `clean_login_name`.

- Normal form: Unicode NFKC (full-width ｆｉｎａｎｃｅ → finance), then case-folded, then stripped of spaces.
- Safe set: 2 to 32 of the lower-case ASCII letters a–z, digits and `.` `_` `-`, starting with a letter or digit.
  Anything else (other scripts, zero-width and control characters, spaces inside) is refused, not rewritten.
- Look-alikes: two names clash when their *skeletons* are equal: the separators `.` `-` `_` are left out (so
  `fi.nance` and `ad-min` clash with `finance` and `admin`), and `0`/`o`, `1`/`l`/`i`, `rn`/`m` and `vv`/`w` are
  one character. Existing logins are compared through their skeletons
  too, so a login created before these rules (even `Admin`) is still protected.
"""

from __future__ import annotations

import re
import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_LENGTH = 2
MAX_LENGTH = 32
_SAFE = re.compile(rf"[a-z0-9][a-z0-9._-]{{{MIN_LENGTH - 1},{MAX_LENGTH - 1}}}", re.ASCII)
# Separators a reader skips over, then pairs that read alike in the fonts of a browser, a spreadsheet or a printed
# payslip list (longest first).
_LOOK_ALIKE = ((".", ""), ("-", ""), ("_", ""), ("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("i", "l"))


def normalise_login_name(value: str) -> str:
    """NFKC, case-folded and stripped: the form a login name is stored and compared in."""
    return unicodedata.normalize("NFKC", value or "").casefold().strip()


def login_skeleton(value: str) -> str:
    """What a name looks like: equal skeletons mean two names a reader could take for each other."""
    skeleton = normalise_login_name(value)
    for look, same in _LOOK_ALIKE:
        skeleton = skeleton.replace(look, same)
    return skeleton


def clean_login_name(value: str, *, exclude_user_id: int | None = None) -> str:
    """The login name in its normal form, or a ValidationError saying why it cannot be used: outside the safe
    set, or the same as (or a look-alike of) another login."""
    name = normalise_login_name(value)
    if not name:
        raise ValidationError(_("Enter a login name."), code="required")
    if len(name) > MAX_LENGTH or len(name) < MIN_LENGTH:
        raise ValidationError(
            _("A login name is %(min)s to %(max)s characters long.") % {"min": MIN_LENGTH, "max": MAX_LENGTH},
            code="length",
        )
    if not _SAFE.fullmatch(name):
        raise ValidationError(
            _(
                "Use only the letters a–z, digits and . _ - in a login name, starting with a letter or digit "
                "(no spaces, accents or other scripts)."
            ),
            code="characters",
        )
    skeleton = login_skeleton(name)
    others = get_user_model().objects.exclude(pk=exclude_user_id) if exclude_user_id else get_user_model().objects
    # Every login is compared (a few thousand at most in a shop): old ones may predate the normal form.
    for existing in others.values_list("username", flat=True).iterator(chunk_size=2000):
        if login_skeleton(existing) == skeleton:
            if normalise_login_name(existing) == name:
                raise ValidationError(_("This login name is taken."), code="taken")
            raise ValidationError(
                _("This login name looks too much like the existing login “%(existing)s”; choose another one.")
                % {"existing": existing},
                code="look_alike",
            )
    return name
