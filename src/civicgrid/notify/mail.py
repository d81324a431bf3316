"""E-mail notices through an SMTP server (standard library ``smtplib``)."""

from __future__ import annotations

import json
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from civicgrid.kit.crypto import FieldCipher
from civicgrid.notify.models import OutboxMessage


class MailRefused(RuntimeError):
    """The SMTP server did not take the message."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    starttls: bool = False
    sender: str = "civicgrid@localhost"
    timeout: float = 10.0


class SmtpSender:
    """Sends notices of channel ``email``; one connection per message (notices are few)."""

    def __init__(self, config: SmtpConfig, *, cipher: FieldCipher) -> None:
        self._config = config
        self._cipher = cipher

    def send(self, message: OutboxMessage) -> str | None:
        if not message.address_enc:
            raise MailRefused("通知没有收件地址 (no address)")
        mail = EmailMessage()
        mail["From"] = self._config.sender
        mail["To"] = self._cipher.decrypt(message.address_enc)
        mail["Subject"] = message.subject
        mail.set_content(str(json.loads(message.body).get("text", "")))
        c = self._config
        try:
            with smtplib.SMTP(c.host, c.port, timeout=c.timeout) as smtp:
                if c.starttls:
                    smtp.starttls()
                if c.user:
                    smtp.login(c.user, c.password)
                refused = smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailRefused(f"邮件服务器拒收或无法连接 (smtp: {exc!r})") from exc
        if refused:
            raise MailRefused(f"邮件服务器拒收 (smtp refused: {refused})")
        return "SMTP accepted"
