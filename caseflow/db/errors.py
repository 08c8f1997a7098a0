"""Database errors as texts that may travel: a statement's values hold customers' names and
phones, and PostgreSQL and the driver echo values in their messages ("invalid input for query
argument $3: '1380...'", "Key (phone)=(...) already exists"). An error raised to Temporal
lands in the worker's log and, as an activity failure, in the case's history: these name the
case, the error's class and its SQLSTATE, never a value."""

from __future__ import annotations


class StoreError(RuntimeError):
    """A write failed; retrying may help (PostgreSQL away, a lock timeout). The message names
    ids and codes only; the original exception is not chained (its text holds the values)."""


def described(exc: BaseException) -> str:
    """`DataError (SQLSTATE 22003)`: the driver's class and code, no message."""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    name = type(orig).__name__
    return f"{name} (SQLSTATE {code})" if code else name
