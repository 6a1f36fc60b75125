"""Sending one email through the configured SMTP server, and telling a temporary failure from
a permanent one.

The standard library's :mod:`smtplib` and :class:`email.message.EmailMessage` are all it takes
(no third-party mail library): the worker thread that sends is synchronous anyway. What this
module adds is the judgement the delivery service retries on:

* **temporary** (:attr:`MailError.temporary`): the server is unreachable, refused the
  connection, timed out, dropped it, answered a 4xx, or refused our login or TLS (a mistake of
  configuration, not of the message: once fixed, the retry goes through);
* **permanent**: a 5xx to the sender, a recipient or the data: the same message would be
  refused again, so the delivery fails at once with the server's reply.

The reply is kept as the server said it (code and text) for ``last_error``; the password never
appears in it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from issuer.settings import Settings, SmtpTls

__all__ = ["MailError", "send_message", "smtp_refusal"]


class MailError(Exception):
    """Sending failed; ``reply`` is the server's answer (or the connection error),
    ``temporary`` whether trying again later may succeed."""

    def __init__(self, reply: str, *, temporary: bool) -> None:
        super().__init__(reply)
        self.reply = reply
        self.temporary = temporary


def smtp_refusal(settings: Settings) -> str | None:
    """Why email cannot be sent as configured, or None when it can."""
    if not settings.smtp_host:
        return (
            "email is not configured: set MICROCRED_SMTP_HOST and MICROCRED_SMTP_FROM (and "
            "MICROCRED_SMTP_PORT, MICROCRED_SMTP_TLS, MICROCRED_SMTP_USER, "
            "MICROCRED_SMTP_PASSWORD as the server needs) and restart the service"
        )
    if not settings.smtp_from:
        return "email is not configured: MICROCRED_SMTP_FROM (the sender's address) is not set"
    return None


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"


def _tls_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.smtp_ca_file is not None:
        context.load_verify_locations(cafile=str(settings.smtp_ca_file))
    return context


def _connect(settings: Settings) -> smtplib.SMTP:
    host, port, timeout = (
        settings.smtp_host or "",
        settings.smtp_port,
        settings.smtp_timeout_seconds,
    )
    if settings.smtp_tls is SmtpTls.tls:
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls_context(settings))
    client = smtplib.SMTP(host, port, timeout=timeout)
    if settings.smtp_tls is SmtpTls.starttls:
        client.starttls(context=_tls_context(settings))
    return client


def send_message(settings: Settings, message: EmailMessage) -> None:
    """Send ``message`` (its own From, To and Reply-To) through the configured server; raises
    :class:`MailError` saying whether a later try may succeed."""
    refusal = smtp_refusal(settings)
    if refusal is not None:
        raise MailError(refusal, temporary=True)
    try:
        client = _connect(settings)
    except smtplib.SMTPResponseException as error:
        raise MailError(_reply(error.smtp_code, error.smtp_error), temporary=True) from None
    except (OSError, smtplib.SMTPException) as error:  # refused, unreachable, TLS, timeout
        raise MailError(
            f"cannot connect to {settings.smtp_host}:{settings.smtp_port}: {error}", temporary=True
        ) from None
    try:
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            client.login(settings.smtp_user, password)
        refused = client.send_message(message)
        if refused:  # some recipients refused, others accepted: ours is the only one
            code, text = next(iter(refused.values()))
            raise MailError(_reply(code, text), temporary=code < 500)
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        raise MailError(_reply(code, text), temporary=code < 500) from None
    except smtplib.SMTPAuthenticationError as error:
        raise MailError(_reply(error.smtp_code, error.smtp_error), temporary=True) from None
    except smtplib.SMTPResponseException as error:  # sender refused, data refused, …
        code = error.smtp_code
        raise MailError(_reply(code, error.smtp_error), temporary=code < 500) from None
    except (OSError, smtplib.SMTPException) as error:  # disconnected, timed out
        raise MailError(f"the SMTP conversation failed: {error}", temporary=True) from None
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
