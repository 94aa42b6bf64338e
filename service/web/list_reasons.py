"""Why a list run counts as partial, in words for the user. The codes come from the extension (its
`LIST_ABORT_REASONS`) and from the service's own re-check (`ingest.lists.completeness_problem`,
`ingest.list_parts`); the code
itself, and a failed page's technical message, go to the log when the snapshot arrives."""

from __future__ import annotations

from service.usernames import USERNAME

_SENTENCES = {
    "login": (
        "The run stopped: Chaturbate showed its login page. Log in to Chaturbate in this browser, "
        "then run it again."
    ),
    "redirected": (
        "The run stopped: a list page sent the browser somewhere else. Run it again; if it keeps "
        "happening, check that you are logged in."
    ),
    "challenge": (
        "The run stopped: Chaturbate asked the browser to prove it is not a robot. Open Chaturbate "
        "in a tab, pass the check, then run it again."
    ),
    "unrecognised": (
        "The run stopped: a page did not look like the list being read (the site may have changed, "
        "or showed an error)."
    ),
    "repeated_page": (
        "The run stopped: the site served a page it had already served, so later pages could not be trusted."
    ),
    "empty_page": (
        "A page that should have held names was empty; the list was not used to mark anyone as unfollowed."
    ),
    "missing_pages": (
        "Some pages of the list were not read; the list was not used to mark anyone as unfollowed."
    ),
    "total_unknown": (
        "The list could not be checked against the total the site shows, so it was not used to mark"
        " anyone as unfollowed."
    ),
    "total_mismatch": (
        "The names read do not add up to the total the site shows; the list was not used to mark "
        "anyone as unfollowed."
    ),
    "total_changed": (
        "The total the site shows changed during the run; the list was not used to mark anyone as unfollowed."
    ),
    "daily_cap": (
        "The run stopped at the extension's daily page limit (set in the extension's options); it "
        "continues tomorrow."
    ),
    "missing_parts": (
        "Some parts of the list, sent one after another, never reached the service; the list was not "
        "used to mark anyone as unfollowed."
    ),
    "not_complete": ("The extension did not finish the list; it was not used to mark anyone as unfollowed."),
    # Refusals: the extension checks who is logged in to Chaturbate before it reads a list page.
    "signed_out": (
        "The run was refused before reading anything: Chaturbate showed no logged-in account in that "
        "browser. Log in to Chaturbate there, then run it again."
    ),
    "account_unknown": (
        "The run was refused before reading anything: the extension could not tell which account is "
        "logged in to Chaturbate (the site may have changed)."
    ),
}
_WRONG_ACCOUNT = "wrong_account:"
_PAGE_ERROR = (
    "The run stopped: a list page would not load in the background tab (the connection dropped, the "
    "site was down, or the tab was closed). What was read before it was kept."
)
_UNKNOWN = "The run did not read the whole list; it was not used to mark anyone as unfollowed."


def list_reason(code: str | None) -> str:
    """The sentence for a partial run's reason code ('' for none)."""
    if not code:
        return ""
    if code.startswith("page_error"):
        return _PAGE_ERROR
    if code.startswith(_WRONG_ACCOUNT):
        return _wrong_account(code.removeprefix(_WRONG_ACCOUNT))
    return _SENTENCES.get(code, _UNKNOWN)


def _wrong_account(seen: str) -> str:
    # The name comes from the extension: shown only when it is a username at all.
    who = f"as {seen}" if USERNAME.match(seen) else "as another account"
    return (
        f"The run was refused before reading anything: Chaturbate was logged in {who}, not as the "
        "account this panel is set up for, so nobody else's list was taken for yours. Log in to "
        "Chaturbate as your account in that browser, then run it again."
    )
