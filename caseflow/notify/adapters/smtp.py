"""E-mail through an SMTP relay (aiosmtplib): UTF-8 subject and body, STARTTLS or implicit TLS,
optional login.

The Message-ID is derived from the notification id, so every resend of one notification
carries the same Message-ID and mail systems (and people) can recognise the repeat.
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Literal

import aiosmtplib

from caseflow.notify.port import (
    Address,
    Message,
    PermanentDeliveryError,
    RetryableDeliveryError,
    scrub,
)

Security = Literal["starttls", "tls", "none"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "tls": 465, "none": 25}


class SmtpAdapter:
    name = "smtp"

    def __init__(
        self,
        host: str,
        *,
        port: int | None = None,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        sender: str = "caseflow <noreply@localhost>",
        cafile: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self.security = security
        self.username = username
        self.password = password
        self.sender = sender
        self.timeout = timeout
        # A private CA (or a test's own certificate) instead of the system's trust store.
        self.tls_context = ssl.create_default_context(cafile=cafile) if cafile else None
        domain = parseaddr(sender)[1].rpartition("@")[2]
        self.id_domain = domain or "localhost"

    def message_id(self, message: Message) -> str:
        return f"<{message.idempotency_key}@{self.id_domain}>"

    def compose(self, message: Message, address: Address) -> EmailMessage:
        mail = EmailMessage()  # the default policy encodes non-ASCII headers as RFC 2047 UTF-8
        mail["From"] = self.sender
        mail["To"] = ", ".join(address.to)
        mail["Subject"] = message.subject or message.case_id
        mail["Date"] = format_datetime(datetime.now(UTC))
        mail["Message-ID"] = self.message_id(message)
        mail["Content-Language"] = message.language
        mail["X-Caseflow-Case"] = message.case_id
        mail["X-Caseflow-Notification"] = message.idempotency_key
        mail.set_content(message.body, charset="utf-8")
        return mail

    async def send(self, message: Message, address: Address) -> str:
        mail = self.compose(message, address)
        try:
            await aiosmtplib.send(
                mail,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",
                tls_context=self.tls_context,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({r.code for r in exc.recipients})
            raise _by_code(min(codes), f"SMTP relay refused every recipient ({codes})") from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            # A wrong password is fixed by the operator: keep the mail until then.
            raise RetryableDeliveryError(f"SMTP login refused ({exc.code})") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _by_code(exc.code, f"SMTP {exc.code}: {scrub(exc.message)}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Connection refused or dropped, timeouts, TLS handshake: the relay may recover.
            raise RetryableDeliveryError(f"SMTP relay unavailable ({type(exc).__name__})") from exc
        return self.message_id(message)


def _by_code(code: int, error: str) -> Exception:
    """SMTP's own rule: 4xx is transient, 5xx is final."""
    if 400 <= code < 500:
        return RetryableDeliveryError(error)
    return PermanentDeliveryError(error)
