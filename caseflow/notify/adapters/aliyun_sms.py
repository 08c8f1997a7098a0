"""SMS through Alibaba Cloud SMS (阿里云短信服务, Dysmsapi 2017-05-25) with its official SDK.

Chinese carriers only deliver approved templates under an approved signature (签名), so the
text goes as a template parameter: by default one approved template with a `${content}`
variable takes the rendered text (less our 【caseflow】 brand: the gateway puts the approved
signature first itself); a template name listed in `templates` uses its own approved template
with the notification's parameters instead. `OutId` carries the notification's idempotency
key, and comes back in delivery receipts.

The endpoint is a URL (`https://dysmsapi.aliyuncs.com` by default) so that tests and private
gateways can point the SDK at `http://127.0.0.1:PORT`. The SDK's own retries are off: the
delivery worker retries with backoff and records each attempt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ServerException
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions
from Tea.exceptions import TeaException

from caseflow.notify.port import (
    Address,
    Message,
    PermanentDeliveryError,
    RetryableDeliveryError,
    scrub,
)

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com"
_BRAND = re.compile(r"^【[^】]*】")
# Codes worth another try: the provider's own faults, rate limits (a number gets at most one
# SMS a minute), and account states an operator fixes (balance, suspension).
_RETRYABLE_PREFIXES = ("isp.", "Throttling", "ServiceUnavailable", "InternalError")
_RETRYABLE_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
    }
)


class AliyunSmsAdapter:
    name = "aliyun_sms"

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        templates: Mapping[str, str] | None = None,
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = 10.0,
    ) -> None:
        url = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        self.sign_name = sign_name
        self.template_code = template_code
        self.templates = dict(templates or {})
        self.timeout_ms = int(timeout * 1000)
        self.client = Client(
            Config(
                access_key_id=access_key_id,
                access_key_secret=access_key_secret,
                endpoint=url.netloc,
                protocol=url.scheme,
                read_timeout=self.timeout_ms,
                connect_timeout=self.timeout_ms,
            )
        )

    def request(self, message: Message, address: Address) -> SendSmsRequest:
        code = self.templates.get(message.template)
        if code:
            params = {k: "" if v is None else str(v) for k, v in message.params.items()}
        else:
            code, params = self.template_code, {"content": _BRAND.sub("", message.body)}
        return SendSmsRequest(
            phone_numbers=",".join(address.to),
            sign_name=self.sign_name,
            template_code=code,
            template_param=json.dumps(params, ensure_ascii=False),
            out_id=message.idempotency_key,
        )

    async def send(self, message: Message, address: Address) -> str:
        runtime = RuntimeOptions(
            autoretry=False, read_timeout=self.timeout_ms, connect_timeout=self.timeout_ms
        )
        try:
            response = await self.client.send_sms_with_options_async(
                self.request(message, address), runtime
            )
        except ServerException as exc:  # HTTP 5xx
            raise RetryableDeliveryError(
                f"aliyun_sms HTTP {exc.status_code} {exc.code}: {scrub(_provider_text(exc))}"
            ) from exc
        except AlibabaCloudException as exc:  # HTTP 4xx with the provider's code
            error = f"aliyun_sms HTTP {exc.status_code} {exc.code}: {scrub(_provider_text(exc))}"
            raise _by_code(exc.code, error) from exc
        except TeaException as exc:
            # Connection refused, timeouts, an unreadable answer: named "Unretryable" by the
            # SDK only because its own retries are off.
            raise RetryableDeliveryError(
                f"aliyun_sms gateway unavailable ({type(exc).__name__})"
            ) from exc
        body = response.body
        if body.code == "OK":
            return body.biz_id or message.idempotency_key
        raise _by_code(body.code, f"aliyun_sms {body.code}: {scrub(body.message or '')}")


def _provider_text(exc: AlibabaCloudException) -> str:
    data = exc.data if isinstance(getattr(exc, "data", None), dict) else {}
    return str(data.get("Message", ""))


def _by_code(code: str | None, error: str) -> Exception:
    code = code or ""
    if code in _RETRYABLE_CODES or code.startswith(_RETRYABLE_PREFIXES):
        return RetryableDeliveryError(error)
    return PermanentDeliveryError(error)
