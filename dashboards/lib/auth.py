"""Sign-in, as CCHC_AUTH says: `oidc` (Streamlit's st.login, configured in .streamlit/secrets.toml),
`demo` (the roles file's local accounts, no network), `off` (full access, with a banner).

Unset, it means `oidc` when secrets.toml has an [auth] section, else sign-in is not configured
and the dashboard serves no data: it says how to configure it. `require_viewer()` runs before
any page and stops the script until someone is signed in; the signed-in `Viewer` is kept in the
session, where dashboards/lib/db.py reads it on every query.
"""

from __future__ import annotations

import os

import streamlit as st

from dashboards.lib import access_log
from dashboards.lib.access import (
    FULL_ACCESS,
    SESSION_KEY,
    AccessFileError,
    AccessRules,
    Grant,
    Viewer,
    load_access,
)
from dashboards.lib.i18n import t

MODES = ("oidc", "demo", "off")


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets.toml at all
        return False


def auth_mode() -> str:
    """oidc / demo / off, or `unconfigured` (nothing set) or `invalid` (an unknown value)."""
    value = os.environ.get("CCHC_AUTH", "").strip().lower()
    if value in MODES:
        return value if value != "oidc" or _oidc_configured() else "unconfigured"
    if value:
        return "invalid"
    return "oidc" if _oidc_configured() else "unconfigured"


def provinces_text(grant: Grant) -> str:
    return t("all_provinces") if grant.provinces is None else ", ".join(sorted(grant.provinces))


def _log(event: str, name: str, grant: Grant | None, outcome: str) -> None:
    access_log.record(
        event,
        name,
        grant.role if grant else None,
        provinces_text(grant) if grant else "",
        outcome,
    )


def _sign_in_as(viewer: Viewer) -> None:
    st.session_state[SESSION_KEY] = viewer
    _log("sign_in", viewer.name, viewer.grant, "ok")


def _not_configured(mode: str) -> None:
    st.title(t("app_title"))
    st.error(t("auth_invalid" if mode == "invalid" else "auth_not_configured"))
    st.markdown(t("auth_how_to_configure"))


def _demo_form(rules: AccessRules) -> None:
    st.title(t("app_title"))
    st.info(t("demo_intro"))
    with st.form("demo_sign_in"):
        username = st.text_input(t("username"), key="demo_username")
        password = st.text_input(t("password"), type="password", key="demo_password")
        submitted = st.form_submit_button(t("sign_in"), type="primary")
    st.caption(
        t("demo_accounts")
        + " "
        + " · ".join(f"`{a.username}` ({t('role_' + a.grant.role)})" for a in rules.demo_accounts)
    )
    if submitted:
        grant = rules.demo_sign_in(username, password)
        if grant is None:
            _log("sign_in_failed", username.strip()[:80], None, "wrong_credentials")
            st.error(t("wrong_credentials"))
            return
        _sign_in_as(Viewer(username.strip(), grant, "demo"))
        st.rerun()


def _oidc(rules: AccessRules) -> Viewer | None:
    provider = os.environ.get("CCHC_OIDC_PROVIDER") or None
    if not st.user.is_logged_in:
        st.session_state.pop(SESSION_KEY, None)
        st.title(t("app_title"))
        st.info(t("oidc_intro"))
        st.button(
            t("sign_in"),
            type="primary",
            on_click=st.login,
            args=(provider,) if provider else (),
            key="oidc_sign_in",
        )
        return None
    email = st.user.get("email")
    name = str(email or st.user.get("sub") or "?")
    known = st.session_state.get(SESSION_KEY)
    if isinstance(known, Viewer) and known.mode == "oidc" and known.name == name:
        return known
    claimed = st.user.get(rules.groups_claim) or []
    groups = [claimed] if isinstance(claimed, str) else [str(g) for g in claimed]
    grant = rules.resolve(str(email) if email else None, groups)
    if grant is None:
        _log("sign_in", name, None, "no_access")
        st.title(t("app_title"))
        st.error(t("no_access", user=name))
        st.button(t("sign_out"), on_click=st.logout, key="oidc_sign_out")
        return None
    viewer = Viewer(name, grant, "oidc")
    _sign_in_as(viewer)
    return viewer


def require_viewer() -> Viewer | None:
    """The signed-in viewer, or None after drawing the sign-in (or why there is none); the
    caller then stops the script, so no page runs and no data is read."""
    mode = auth_mode()
    if mode == "off":
        viewer = Viewer(t("auth_off_user"), FULL_ACCESS, "off")
        st.session_state[SESSION_KEY] = viewer
        st.markdown(f":orange-background[:material/lock_open: {t('auth_off_banner')}]")
        return viewer
    if mode not in MODES:
        st.session_state.pop(SESSION_KEY, None)
        _not_configured(mode)
        return None
    try:
        rules = load_access()
    except AccessFileError as error:
        st.session_state.pop(SESSION_KEY, None)
        st.title(t("app_title"))
        st.error(t("access_file_error"))
        st.code(str(error), language=None)
        return None
    if mode == "demo":
        known = st.session_state.get(SESSION_KEY)
        if isinstance(known, Viewer) and known.mode == "demo":
            return known
        _demo_form(rules)
        return None
    return _oidc(rules)


def _sign_out(viewer: Viewer) -> None:
    _log("sign_out", viewer.name, viewer.grant, "ok")
    st.session_state.pop(SESSION_KEY, None)
    if viewer.mode == "oidc":
        st.logout()


def account_box(viewer: Viewer) -> None:
    """Who is signed in, with which role and provinces, and the sign-out button (sidebar)."""
    with st.sidebar:
        # markdown, not a caption: the pages' own last caption stays the last one
        st.markdown(
            t(
                "signed_in_as",
                user=viewer.name,
                role=t("role_" + viewer.role),
                provinces=provinces_text(viewer.grant),
            )
        )
        if viewer.provinces is not None:
            st.markdown(t("scoped_note", provinces=provinces_text(viewer.grant)))
        if viewer.mode != "off":
            st.button(t("sign_out"), on_click=_sign_out, args=(viewer,), key="sign_out")


def require_page(stem: str) -> None:
    """Stop a page the signed-in role may not open (the navigation already leaves it out)."""
    viewer = st.session_state.get(SESSION_KEY)
    if not isinstance(viewer, Viewer) or not viewer.may_open(stem):
        st.error(t("no_page_access"))
        st.stop()


def log_query(sql: str, outcome: str, rows: int | None) -> None:
    """An SQL-page query in the access log: who, the query, how it ended, rows returned."""
    viewer = st.session_state.get(SESSION_KEY)
    name = viewer.name if isinstance(viewer, Viewer) else "?"
    grant = viewer.grant if isinstance(viewer, Viewer) else None
    access_log.record(
        "sql",
        name,
        grant.role if grant else None,
        provinces_text(grant) if grant else "",
        outcome,
        rows=rows,
        detail=sql[:4000],
    )
