"""Vietnamese text as it appears in provincial exports: headers, names, numbers and dates."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime

# Old-style tone placement ("Hoà", "Thuý") and new-style ("Hòa", "Thúy") must match: folding all
# diacritics away makes both orthographies, capitals and unaccented spellings compare equal.
_SPACES = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[^\w\s/]+")


# Cached: a report's cells repeat within and across files (agency names, field titles, zero
# counts), and the parser folds every cell while it looks for the footer.
@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower-case ASCII key of a Vietnamese string: no diacritics, đ→d, single spaces."""
    decomposed = unicodedata.normalize("NFD", str(text))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return _SPACES.sub(" ", stripped).strip().lower()


@functools.lru_cache(maxsize=1 << 16)
def fold_words(text: str) -> str:
    """``fold`` with punctuation turned into spaces, for matching header cells and names."""
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", fold(text))).strip()


_VN_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")
_PLAIN_INT = re.compile(r"^-?\d+$")
_VN_DECIMAL = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d+$")


class NumberFormatError(ValueError):
    pass


def parse_count(raw: object) -> int | None:
    """A count written Vietnamese style (``88.424``), plainly (``88424``), or empty (None).

    A value with a decimal part is refused: counts of dossiers are whole numbers.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise NumberFormatError(f"not a count: {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw != raw:  # NaN from an empty spreadsheet cell
            return None
        if raw.is_integer():
            return int(raw)
        raise NumberFormatError(f"not a whole number: {raw!r}")
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    if text in {"", "-", "–"}:
        return None
    if _PLAIN_INT.match(text):
        return int(text)
    if _VN_THOUSANDS.match(text):
        return int(text.replace(".", ""))
    if re.match(r"^-?\d{1,3}(,\d{3})+$", text):
        return int(text.replace(",", ""))
    if _VN_DECIMAL.match(text) or re.match(r"^-?\d+\.\d+$", text):
        raise NumberFormatError(f"not a whole number: {raw!r}")
    raise NumberFormatError(f"not a number: {raw!r}")


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def parse_vn_date(raw: str) -> date:
    """``31/03/2023`` (day first, as Vietnamese documents write it) or ISO ``2023-03-31``."""
    text = raw.strip()
    match = _DMY.match(text)
    if match:
        day, month, year = (int(match.group(i)) for i in (1, 2, 3))
        return date(year, month, day)
    return date.fromisoformat(text[:10])


def parse_vn_datetime(raw: str) -> datetime:
    text = raw.strip()
    match = _DMY.match(text)
    if match:
        day, month, year = (int(match.group(i)) for i in (1, 2, 3))
        hour, minute, second = (int(match.group(i) or 0) for i in (4, 5, 6))
        return datetime(year, month, day, hour, minute, second)
    return datetime.fromisoformat(text)


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def roman_to_int(text: str) -> int:
    key = text.strip().lower()
    if key in _ROMAN:
        return _ROMAN[key]
    return int(key)
