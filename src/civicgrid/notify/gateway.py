"""SMS through a licensed HTTP gateway, described by configuration rather than code per vendor.

Chinese SMS gateways take a pre-approved template id, its parameters and a signature name
(签名), authenticated by a token or an HMAC signature of the request. :class:`GatewayConfig`
says how one vendor wants that: the URL, the JSON body as a template whose string values may
hold ``{phone}``, ``{sign_name}``, ``{template_id}``, ``{text}`` and whose value ``"{params}"``
becomes the parameter object (names mapped by ``param_names``), the auth header, the HMAC
header, and which field of the answer says it worked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from civicgrid.kit.crypto import FieldCipher
from civicgrid.notify.models import OutboxMessage

DEFAULT_BODY = (
    '{"phone": "{phone}", "sign_name": "{sign_name}", "template_id": "{template_id}",'
    ' "params": "{params}"}'
)


class GatewayRefused(RuntimeError):
    """The gateway did not accept the message."""


@dataclass(frozen=True)
class GatewayConfig:
    """One vendor's HTTP SMS interface (see the module docstring)."""

    url: str
    body: str = DEFAULT_BODY
    token: str = ""
    secret: str = ""
    signature_header: str = "X-Signature"
    timestamp_header: str = "X-Timestamp"
    sign_name: str = ""
    templates: Mapping[str, str] = field(default_factory=dict)
    param_names: Mapping[str, str] = field(default_factory=dict)
    success_field: str = ""
    success_value: str = ""


def _fill(node: Any, values: Mapping[str, str], params: dict[str, str]) -> Any:
    if isinstance(node, str):
        if node == "{params}":
            return params
        out = node
        for key, value in values.items():
            out = out.replace("{" + key + "}", value)
        return out
    if isinstance(node, list):
        return [_fill(item, values, params) for item in node]
    if isinstance(node, dict):
        return {k: _fill(v, values, params) for k, v in node.items()}
    return node


def request_body(
    config: GatewayConfig, *, phone: str, kind: str, text: str, params: Mapping[str, str]
) -> bytes:
    """The JSON the gateway receives for one notice."""
    try:
        shape = json.loads(config.body)
    except json.JSONDecodeError as exc:
        raise GatewayRefused(f"短信网关请求模板不是合法 JSON (sms body template: {exc})") from exc
    mapped = {config.param_names.get(k, k): v for k, v in params.items()}
    values = {
        "phone": phone,
        "sign_name": config.sign_name,
        "template_id": config.templates.get(kind, ""),
        "text": text,
    }
    filled = _fill(shape, values, mapped)
    return json.dumps(filled, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class HttpSmsSender:
    """Sends notices of channel ``sms`` through the configured gateway."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        cipher: FieldCipher,
        client: httpx.Client,
        clock: Callable[[], datetime],
    ) -> None:
        self._config = config
        self._cipher = cipher
        self._client = client
        self._clock = clock

    def send(self, message: OutboxMessage) -> str | None:
        if not message.address_enc:
            raise GatewayRefused("通知没有收件号码 (no address)")
        notice = json.loads(message.body)
        body = request_body(
            self._config,
            phone=self._cipher.decrypt(message.address_enc),
            kind=str(notice.get("kind", "")),
            text=str(notice.get("text", "")),
            params={str(k): str(v) for k, v in dict(notice.get("params", {})).items()},
        )
        headers = {"content-type": "application/json; charset=utf-8"}
        if self._config.token:
            headers["authorization"] = f"Bearer {self._config.token}"
        if self._config.secret:
            timestamp = str(int(self._clock().timestamp()))
            mac = hmac.new(
                self._config.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
            )
            headers[self._config.timestamp_header] = timestamp
            headers[self._config.signature_header] = mac.hexdigest()
        try:
            response = self._client.post(self._config.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise GatewayRefused(f"短信网关无法连接或超时 (sms gateway: {exc!r})") from exc
        if not response.is_success:
            raise GatewayRefused(f"短信网关 HTTP {response.status_code}: {response.text[:200]}")
        if self._config.success_field:
            try:
                answer = response.json()
            except ValueError as exc:
                raise GatewayRefused(f"短信网关答复不是 JSON: {response.text[:200]}") from exc
            got = (
                str(answer.get(self._config.success_field, "")) if isinstance(answer, dict) else ""
            )
            if got != self._config.success_value:
                raise GatewayRefused(f"短信网关拒绝：{response.text[:200]}")
        return f"HTTP {response.status_code}"
