"""The masking of passwords in URLs and in drivers' error texts, form by form."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tansaku._internal import redact as _redact
from tansaku._internal.redact import redact_exception, redact_text, redact_url, url_secrets


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://admin:pw0rd@host/db", "postgresql://admin:***@host/db"),
        (
            "postgresql+psycopg://admin:pw0rd@host:5432/db",
            "postgresql+psycopg://admin:***@host:5432/db",
        ),
        ("mysql+pymysql://admin:p@ss@host/db", "mysql+pymysql://admin:***@host/db"),
        ("postgresql://admin:p/ss?w@host/db", "postgresql://admin:***@host/db"),
        ("redis://:pw0rd@host:6379/0", "redis://:***@host:6379/0"),
        ("rediss://user:pw0rd@host", "rediss://user:***@host"),
        ("postgresql://admin@host/db?password=pw0rd", "postgresql://admin@host/db?password=***"),
        (
            "postgresql://admin@host/db?a=1&PassWord=pw0rd&b=2",
            "postgresql://admin@host/db?a=1&PassWord=***&b=2",
        ),
        ("mysql://admin@host/db?passwd=pw0rd", "mysql://admin@host/db?passwd=***"),
        (
            "postgresql://admin@host/db?sslpassword=pw0rd",
            "postgresql://admin@host/db?sslpassword=***",
        ),
        ("admin:pw0rd@host/db", "admin:***@host/db"),
        ("postgresql://admin@host/db", "postgresql://admin@host/db"),
        ("sqlite:///a/b@c/study.db", "sqlite:///a/b@c/study.db"),
        (
            "postgresql://admin:pw0rd@host/db?options=a@b",
            "postgresql://admin:***@host/db?options=a@b",
        ),
    ],
)
def test_redact_url_masks_every_password_form(url: str, masked: str) -> None:
    assert redact_url(url) == masked


def test_url_secrets_has_the_decoded_and_encoded_forms() -> None:
    secrets = url_secrets("postgresql://admin:p%40ss%2Fword@host/db?password=other-one")
    assert {"p%40ss%2Fword", "p@ss/word", "other-one"} <= secrets


@pytest.mark.parametrize(
    "text",
    [
        # libpq settings quoted back by psycopg.
        'missing "=" after "x" in connection info string: host=db password=pw0rd-x user=u',
        "connection info: host=db password='pw0rd x' user=u",
        # A URL inside a message, in quotes.
        "could not parse 'postgresql://u:pw0rd-x@db/x'",
        # A repr of the connect arguments.
        "connect(**{'host': 'db', 'password': 'pw0rd-x'})",
    ],
)
def test_redact_text_masks_driver_texts(text: str) -> None:
    masked = redact_text(text)
    assert "pw0rd" not in masked
    assert "db" in masked  # the rest stays


def test_short_known_secrets_are_masked_as_whole_words_only() -> None:
    assert redact_text("port 7 refused, error ab", ["ab"]) == "port 7 refused, error ***"
    assert redact_text("tablename", ["ab"]) == "tablename"


def test_redact_exception_masks_the_chain_in_place() -> None:
    try:
        try:
            raise ValueError("bad dsn host=db password=pw0rd-x")
        except ValueError as inner:
            raise ConnectionError("could not reach postgresql://u:pw0rd-x@db/x") from inner
    except ConnectionError as error:
        masked = redact_exception(error)
    assert isinstance(masked, ConnectionError)
    assert "pw0rd" not in str(masked) and "pw0rd" not in str(masked.__cause__)


def test_redact_exception_replaces_what_cannot_be_masked_in_place() -> None:
    class Stubborn(Exception):
        def __str__(self) -> str:
            return "the password is pw0rd-stubborn"

    masked = redact_exception(Stubborn(), ["pw0rd-stubborn"])
    assert isinstance(masked, RuntimeError)
    assert "Stubborn" in str(masked) and "pw0rd" not in str(masked)


_KEY_CHARS = "pPwWdDaAsSoOrRſK=:'\"/ _x@?&"


@settings(derandomize=True, max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list(_KEY_CHARS)), max_size=40))
def test_redact_text_masks_as_if_every_pattern_ran(text: str) -> None:
    # redact_text skips a pattern when the text lacks what it needs; what it masks must be
    # what running every pattern masks, case-folded keys ("PaſSWORD=") included.
    expected = _redact._URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
    expected = _redact._SETTING_SECRET.sub(rf"\1{_redact.MASK}", expected)
    expected = _redact._QUOTED_KEY_SECRET.sub(rf"\1{_redact.MASK}", expected)
    with mock.patch.object(_redact, "_KNOWN_SECRETS", set()):  # patterns alone
        assert redact_text(text) == expected


def test_redact_text_masks_a_setting_whose_key_uses_the_long_s() -> None:
    assert redact_text("host=db paſsword=pw0rd-x") == "host=db paſsword=***"
