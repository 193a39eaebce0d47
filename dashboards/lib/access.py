"""Roles and province scope: who is looking, what they may open, which agency rows they may read.

The roles file (dashboards/access.toml, or CCHC_ACCESS_FILE) maps people (by e-mail) and groups
(a claim of the identity token) to a role and provinces, and holds the demo accounts. The
signed-in `Viewer` lives in the Streamlit session; `db` asks `current_viewer()` on every read, so
the scope holds for every page, download and query, whatever the widgets show.
This module has no Streamlit UI (dashboards/lib/auth.py draws the sign-in).
"""

from __future__ import annotations

import hmac
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

ROLES = ("leadership", "analyst", "engineer", "admin")
ALL = "*"
DEFAULT_ACCESS_FILE = Path(__file__).resolve().parent.parent / "access.toml"
SESSION_KEY = "_viewer"

# the least role that opens each page (pages not named here: leadership)
PAGE_ROLES = {"sql": "analyst", "data_status": "engineer"}


class AccessFileError(ValueError):
    """The roles file is unreadable or names an unknown role: the message names file and entry."""


class NotSignedIn(PermissionError):
    """A script run asked for data without a signed-in viewer."""


@dataclass(frozen=True)
class Grant:
    role: str
    provinces: frozenset[str] | None  # None = every province

    def merged(self, other: Grant) -> Grant:
        role = max(self.role, other.role, key=ROLES.index)
        if self.provinces is None or other.provinces is None:
            return Grant(role, None)
        return Grant(role, self.provinces | other.provinces)


@dataclass(frozen=True)
class Viewer:
    name: str
    grant: Grant
    mode: str  # oidc / demo / off

    @property
    def role(self) -> str:
        return self.grant.role

    @property
    def provinces(self) -> frozenset[str] | None:
        return self.grant.provinces

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def may_open(self, page: str) -> bool:
        return self.at_least(PAGE_ROLES.get(page, "leadership"))

    @property
    def sees_audit(self) -> bool:
        """Loads, rejected files and quarantined rows (raw cells of every province's files)."""
        return self.at_least("engineer")

    @property
    def unrestricted(self) -> bool:
        return self.provinces is None and self.sees_audit


FULL_ACCESS = Grant("admin", None)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    grant: Grant


@dataclass(frozen=True)
class AccessRules:
    users: dict[str, Grant]
    groups: dict[str, Grant]
    groups_claim: str
    demo_accounts: tuple[DemoAccount, ...]

    def resolve(self, email: str | None, groups: Iterable[str]) -> Grant | None:
        """The user's own entry, else the union of their groups' grants; None = no access."""
        if email and email.lower() in self.users:
            return self.users[email.lower()]
        found = [self.groups[g] for g in groups if g in self.groups]
        if not found:
            return None
        grant = found[0]
        for other in found[1:]:
            grant = grant.merged(other)
        return grant

    def demo_sign_in(self, username: str, password: str) -> Grant | None:
        for account in self.demo_accounts:
            # compare both in constant time, so a wrong name and a wrong password look alike
            name_ok = hmac.compare_digest(account.username.encode(), username.strip().encode())
            password_ok = hmac.compare_digest(account.password.encode(), password.encode())
            if name_ok and password_ok:
                return account.grant
        return None


def access_file() -> Path:
    configured = os.environ.get("CCHC_ACCESS_FILE")
    return Path(configured).expanduser() if configured else DEFAULT_ACCESS_FILE


def _grant(entry: dict, where: str) -> Grant:
    role = entry.get("role")
    if role not in ROLES:
        raise AccessFileError(f"{where}: role {role!r} is not one of {', '.join(ROLES)}")
    provinces = entry.get("provinces")
    if not isinstance(provinces, list) or not provinces:
        raise AccessFileError(f'{where}: provinces must be a list of codes or ["*"]')
    codes = [str(p).strip() for p in provinces]
    if ALL in codes:
        return Grant(role, None)
    bad = [c for c in codes if not (c.isdigit() and len(c) == 2)]
    if bad:
        raise AccessFileError(f"{where}: {bad} are not two-digit province codes")
    return Grant(role, frozenset(codes))


def parse_access(text: str, source: str = "access.toml") -> AccessRules:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AccessFileError(f"{source}: {error}") from error
    users, groups = {}, {}
    for i, entry in enumerate(data.get("users", []), start=1):
        if not entry.get("email"):
            raise AccessFileError(f"{source}: users entry {i} has no email")
        users[str(entry["email"]).lower()] = _grant(entry, f"{source}: users entry {i}")
    for i, entry in enumerate(data.get("groups", []), start=1):
        if not entry.get("name"):
            raise AccessFileError(f"{source}: groups entry {i} has no name")
        groups[str(entry["name"])] = _grant(entry, f"{source}: groups entry {i}")
    demo = []
    for i, entry in enumerate(data.get("demo_accounts", []), start=1):
        where = f"{source}: demo_accounts entry {i}"
        if not entry.get("username") or not entry.get("password"):
            raise AccessFileError(f"{where} needs a username and a password")
        demo.append(DemoAccount(entry["username"], entry["password"], _grant(entry, where)))
    return AccessRules(users, groups, str(data.get("groups_claim", "groups")), tuple(demo))


def load_access() -> AccessRules:
    path = access_file()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AccessFileError(f"{path}: {error.strerror}") from error
    return parse_access(text, str(path))


def current_viewer() -> Viewer | None:
    """The viewer of this script run; full access outside Streamlit (scripts, benchmarks).

    Inside a script run without a signed-in viewer this raises: the pages never read data for
    nobody, even if a page forgot to ask for sign-in. With CCHC_AUTH=off there is nobody to sign
    in, so a page run on its own (an AppTest of one page file) reads with full access.
    """
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    viewer = st.session_state.get(SESSION_KEY)
    if isinstance(viewer, Viewer):
        return viewer
    if os.environ.get("CCHC_AUTH", "").strip().lower() == "off":
        return None
    raise NotSignedIn("no signed-in viewer in this session")


def describe_sign_in(mode: str) -> str:
    """What `make dashboard` prints: the demo accounts, or how people sign in."""
    if mode == "demo":
        rules = load_access()
        lines = [f"Sign-in: demo accounts from {access_file()} (CCHC_AUTH=demo)"]
        for account in rules.demo_accounts:
            provinces = (
                "all"
                if account.grant.provinces is None
                else ", ".join(sorted(account.grant.provinces))
            )
            lines.append(
                f"  {account.grant.role:<11} user {account.username:<9} "
                f"password {account.password:<14} provinces {provinces}"
            )
        return "\n".join(lines)
    if mode == "off":
        return "Sign-in: off (CCHC_AUTH=off): full access for everyone, with a banner"
    if mode == "oidc":
        return (
            f"Sign-in: the identity provider of .streamlit/secrets.toml; roles in {access_file()}"
        )
    return "Sign-in: not configured; the dashboard will say how (docs/dashboards.md)"


if __name__ == "__main__":
    print(describe_sign_in(os.environ.get("CCHC_AUTH", "").strip().lower()))
