"""Why an action is refused, as data: the kind picks the HTTP status, the code is stable (the
pages translate by code), the message says what is wrong in words.

The checks are pure, so the API and the workflows' update validators apply the very same rule.
"""

from enum import StrEnum


class RefusalKind(StrEnum):
    INVALID_STATE = "InvalidState"  # not in this phase / not for this case type (409)
    FORBIDDEN = "Forbidden"  # this actor may not (403)
    INVALID_INPUT = "InvalidInput"  # the content is wrong for this case (422)


class Refusal(Exception):
    def __init__(self, kind: RefusalKind, code: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.message = message


def invalid_state(code: str, message: str) -> Refusal:
    return Refusal(RefusalKind.INVALID_STATE, code, message)


def forbidden(code: str, message: str) -> Refusal:
    return Refusal(RefusalKind.FORBIDDEN, code, message)


def invalid_input(code: str, message: str) -> Refusal:
    return Refusal(RefusalKind.INVALID_INPUT, code, message)
