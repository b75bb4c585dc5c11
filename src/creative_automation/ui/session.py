"""What every page shares: the settings, the API client they hold, and how an API that is
down, a missing key or a refused request is shown (a message that says what to do, never a
stack trace)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import streamlit as st

from ..errors import ApiRefused, ApiUnreachable, ConfigError, Problem
from ..settings import Settings, load_settings
from .badges import plain
from .client import ApiClient


def settings() -> Settings:
    """The settings from the environment (CAP_API_URL, CAP_API_KEY, …), read on every run so
    a changed environment is seen; a bad one stops the page with what is wrong."""
    try:
        return load_settings()
    except ConfigError as exc:
        st.error(f"**The settings are invalid.**\n\n```\n{exc}\n```", icon=":material/error:")
        st.stop()


@st.cache_resource(show_spinner=False)
def _client(url: str, key: str | None) -> ApiClient:
    return ApiClient(url, key)  # one connection pool per API and key, shared by the sessions


def client() -> ApiClient:
    """The API client; without CAP_API_KEY the page explains how to get one and stops."""
    current = settings()
    if current.api_key is None:
        st.warning(
            "**No API key.** The UI acts as the holder of an API key. Create one with "
            "`cap keys create --name ui` and start the UI with `CAP_API_KEY=<key> cap ui`.",
            icon=":material/key:",
        )
        st.stop()
    return _client(current.api_url, current.api_key.get_secret_value())


def problem_lines(problems: list[Problem]) -> str:
    """Field problems as a markdown list, each with its dotted path."""
    return "\n".join(_problem_line(p) for p in problems)


def _problem_line(problem: Problem) -> str:
    if not problem.path:
        return f"- {plain(problem.message)}"
    path = problem.path.replace("`", "'")  # a path is shown as code: no backtick may end it
    return f"- `{path}`: {plain(problem.message)}"


def show_error(exc: ApiUnreachable | ApiRefused) -> None:
    """One readable block: what failed and what to do about it."""
    if isinstance(exc, ApiUnreachable):
        st.error(f"**The API is not answering.** {plain(str(exc))}", icon=":material/cloud_off:")
        return
    hints = {
        401: "The API key is unknown or revoked: set CAP_API_KEY to a live key.",
        403: "This API key's scope does not allow it: use a key with the write scope.",
        429: "Too many requests with this key: wait a moment and try again.",
    }
    title = plain(exc.title)
    lines = [f"**{title}** — {plain(exc.detail)}" if exc.detail else f"**{title}**"]
    if exc.problems:
        lines.append(problem_lines(exc.problems))
    if exc.status in hints:
        lines.append(hints[exc.status])
    st.error("\n".join(lines), icon=":material/error:")


@contextmanager
def answered(*, stop: bool = True, loading: str | None = None) -> Iterator[None]:
    """Run API calls, saying `loading` if they take more than half a second; an error is
    shown as one block, then the page stops (`stop`) or goes on (an action that failed leaves
    the rest of the page usable)."""
    try:
        with st.spinner(loading) if loading else nullcontext():
            yield
    except (ApiUnreachable, ApiRefused) as exc:
        show_error(exc)
        if stop:
            st.stop()


__all__ = ["answered", "client", "problem_lines", "settings", "show_error"]
