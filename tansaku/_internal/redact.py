"""Masking of credentials in URLs, driver errors and log lines.

Every place that puts a storage URL, or an error raised while using one, into a message or a
log line passes it through this module, so that a database or Redis password never reaches a
terminal, a log file or an error tracker. What is masked (each replaced by ``***``):

- the password of a URL's user info, in every scheme (``postgresql://user:pw@host``,
  ``redis://:pw@host``, ``rediss://user:pw@host``, ``mysql+pymysql://...``), up to the last
  ``@`` of the authority, so a password holding an unescaped ``@`` or ``/`` is masked whole
  (SQLAlchemy's ``hide_password`` would show what follows its first ``@``);
- the value of a query argument or a ``key=value`` setting whose key ends in ``password``,
  ``passwd`` or ``pwd``, in any case (``?password=``, ``sslpassword=``, a libpq ``dsn`` quoted
  back by a driver), and of a quoted key of that kind in a dict's repr;
- every occurrence of a known secret: the passwords of the URLs that storages were opened
  with (see :func:`url_secrets`), in their written, decoded and encoded forms. A driver may
  quote a password back in its own words (PyMySQL's ``UnicodeEncodeError`` carries the whole
  password), which no pattern finds. Secrets shorter than four characters are masked only
  where they stand as a whole word, so that a one-letter password does not mask every
  letter of a message.

Registry: the secrets of every URL given to :func:`url_secrets` are kept for the life of the
process in ``_KNOWN_SECRETS``, so that :class:`RedactingFilter` masks them in tansaku's log
lines too (a heartbeat failure logged from a thread, a trial's error).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

MASK = "***"
# Secrets shorter than this are masked only as whole words.
_MIN_FREE_SECRET = 4
# Keys whose values are secrets: ``password``, ``sslpassword``, ``PASSWD``, ``pwd``...
_SECRET_KEY = r"[A-Za-z_]*(?:password|passwd|pwd)"
# A query argument of a URL: ``?password=...`` up to the next ``&`` or ``#``.
_QUERY_SECRET = re.compile(rf"(?i)([?&;]{_SECRET_KEY}=)([^&#;]*)")
# A libpq or ODBC setting in text: ``password=secret``, ``password='se cret'``.
_SETTING_SECRET = re.compile(
    rf"""(?i)(?<![A-Za-z_])({_SECRET_KEY}\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&;,)'"]+)"""
)
# A quoted key in a repr or JSON: ``'password': 'secret'``.
_QUOTED_KEY_SECRET = re.compile(
    rf"""(?i)(['"]{_SECRET_KEY}['"]\s*:\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s,}})]+)"""
)
# A URL inside text: a scheme, ``://``, then everything up to white space or a quote.
_URL_IN_TEXT = re.compile(r"""[A-Za-z][A-Za-z0-9+.\-]*://[^\s'"<>]*""")

# The start of a URL written with one slash: 'mysql+pymysql:/root@host/db'.
_SLASHED_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)(:/)")

# Registry of the passwords of the URLs this process opened storages with (module docstring).
_KNOWN_SECRETS: set[str] = set()
_registry_lock = threading.Lock()

_Result = TypeVar("_Result")


def redact_url(url: str) -> str:
    """``url`` with its password masked (user info and query arguments alike).

    Also masks text that is not a well-formed URL (``user:pw@host``), the way a parser that
    accepts it would read it.

    Example:
        >>> redact_url("postgresql://admin:S3CRET@db.example/prod?sslpassword=x")
        'postgresql://admin:***@db.example/prod?sslpassword=***'
    """
    scheme, separator, rest = _split_scheme(url)
    first_at = rest.find("@")
    if first_at >= 0:
        # The authority ends at the first '/', '?' or '#' after the first '@'; its user info at
        # the last '@' before that end (a password may hold unescaped '@', '/' or '?').
        ends = [i for i in (rest.find(c, first_at) for c in "/?#") if i >= 0]
        last_at = rest.rfind("@", 0, min(ends) if ends else len(rest))
        user_info = rest[:last_at]
        user, colon, _password = user_info.partition(":")
        if colon:
            rest = f"{user}:{MASK}{rest[last_at:]}"
    rest = _QUERY_SECRET.sub(rf"\1{MASK}", rest)
    return f"{scheme}{separator}{rest}"


def url_secrets(url: str) -> frozenset[str]:
    """The passwords in ``url``, in every form a driver may quote them back; registers them.

    The forms are the text as written, percent-decoded, and percent-encoded, of the user
    info's password (as the standard library splits it, and up to the last ``@`` as
    :func:`redact_url` does) and of every password query argument.
    """
    candidates: set[str] = set()
    _scheme, separator, rest = _split_scheme(url)
    first_at = rest.find("@")
    if first_at >= 0:
        ends = [i for i in (rest.find(c, first_at) for c in "/?#") if i >= 0]
        last_at = rest.rfind("@", 0, min(ends) if ends else len(rest))
        candidates.add(rest[:last_at].partition(":")[2])
        candidates.add(rest[:first_at].partition(":")[2])
    try:
        split = urllib.parse.urlsplit(url if separator == "://" else "//" + rest)
        candidates.add(split.password or "")
        query = split.query
    except ValueError:  # e.g. a port that is not a number, or an unclosed '['
        query = url.partition("?")[2]
    for match in _QUERY_SECRET.finditer("?" + query):
        candidates.add(match.group(2))
    secrets: set[str] = set()
    for candidate in candidates:
        for form in (
            candidate,
            urllib.parse.unquote(candidate),
            urllib.parse.unquote_plus(candidate),
            urllib.parse.quote(candidate, safe=""),
        ):
            if form:
                secrets.add(form)
    with _registry_lock:
        _KNOWN_SECRETS.update(secrets)
    return frozenset(secrets)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` (a message, a driver's error) with URLs' passwords and known secrets masked.

    Args:
        text: Any text.
        secrets: Secrets to mask besides those of the registry (module docstring).
    """
    # The patterns try a match at every position (~100 us for a 200-character log line, on
    # every record tansaku logs); a text without what each needs skips it. Every URL holds
    # "://"; every secret key holds "pwd" or "passw" under the patterns' IGNORECASE, which
    # casefold() covers (it folds "K" and the long s as the patterns do, and more).
    if "://" in text:
        text = _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)
    folded = text.casefold()
    if "pwd" in folded or "passw" in folded:
        text = _SETTING_SECRET.sub(rf"\1{MASK}", text)
        text = _QUOTED_KEY_SECRET.sub(rf"\1{MASK}", text)
    with _registry_lock:
        every = _KNOWN_SECRETS.union(secrets)
    # Longest first: a secret that contains another is masked whole.
    for secret in sorted(every, key=len, reverse=True):
        if secret not in text:
            continue
        if len(secret) >= _MIN_FREE_SECRET:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, text)
    return text


def redact_exception(error: BaseException, secrets: Iterable[str] = ()) -> BaseException:
    """Mask secrets in ``error`` and in every exception of its cause and context chain.

    The exceptions are masked in place (their ``args`` and the text attributes that their
    messages are built from), so that they keep their types and tracebacks: code that catches
    ``sqlalchemy.exc.OperationalError`` still does. An exception whose message still quotes a
    secret after that (its class builds the message from other state) cannot be masked in
    place: then a ``RuntimeError`` with the masked text of the whole chain is returned, to be
    raised without a chain.

    Returns:
        ``error`` itself, or the replacement to raise instead.
    """
    secrets = frozenset(secrets)
    chain = _chain(error)
    for link in chain:
        _mask_in_place(link, secrets)
    if not any(_quotes_secret(link, secrets) for link in chain):
        return error
    described = "; caused by ".join(
        f"{type(link).__name__}: {redact_text(_safe_str(link), secrets)}" for link in chain
    )
    return RuntimeError(described)


def call_redacted(
    secrets: Iterable[str], function: Callable[..., _Result], *args: Any, **kwargs: Any
) -> _Result:
    """``function(*args, **kwargs)``, with any exception it raises masked by
    :func:`redact_exception` (a replacement is raised outside the handler, with no chain)."""
    try:
        return function(*args, **kwargs)
    except Exception as error:
        masked = redact_exception(error, secrets)
        if masked is error:
            raise
    raise masked


class RedactingFilter(logging.Filter):
    """Masks passwords in a log record's message and in the traceback it carries."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


def _split_scheme(url: str) -> tuple[str, str, str]:
    """(scheme, separator, rest) of ``url``; a scheme with too few slashes counts too."""
    scheme, separator, rest = url.partition("://")
    if separator:
        return scheme, separator, rest
    match = _SLASHED_SCHEME.match(url)
    if match is not None:  # 'mysql:/root@host/db'
        return match.group(1), match.group(2), url[match.end() :]
    return "", "", url


def _chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and all(link is not seen for seen in chain):
        chain.append(link)
        # SQLAlchemy's wrappers keep the driver's error in ``orig`` as well as the cause.
        orig = getattr(link, "orig", None)
        if isinstance(orig, BaseException) and all(orig is not seen for seen in chain):
            chain.append(orig)
        link = link.__cause__ or link.__context__
    return chain


def _mask_in_place(error: BaseException, secrets: frozenset[str]) -> None:
    with contextlib.suppress(AttributeError, TypeError):
        error.args = tuple(_mask_value(arg, secrets) for arg in error.args)
    # Attributes that some classes build their messages from instead of ``args``.
    for name in ("object", "filename", "filename2", "strerror", "msg", "reason", "detail"):
        value = getattr(error, name, None)
        if isinstance(value, str | bytes):
            with contextlib.suppress(AttributeError, TypeError):
                setattr(error, name, _mask_value(value, secrets))


def _mask_value(value: Any, secrets: frozenset[str]) -> Any:
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, bytes):
        text = value.decode("utf-8", "surrogateescape")
        masked = redact_text(text, secrets)
        return value if masked == text else masked.encode("utf-8", "surrogateescape")
    if isinstance(value, tuple | list):
        return type(value)(_mask_value(item, secrets) for item in value)
    return value


def _quotes_secret(error: BaseException, secrets: frozenset[str]) -> bool:
    text = _safe_str(error) + "\n" + _safe_repr(error)
    return redact_text(text, secrets) != text


def _safe_str(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # a broken __str__ must not hide the error being reported
        return type(error).__name__


def _safe_repr(error: BaseException) -> str:
    try:
        return repr(error)
    except Exception:
        return type(error).__name__
