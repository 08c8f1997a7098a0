"""The one way to connect to Temporal: same address, namespace and data converter everywhere."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from caseflow.claim_interceptors import SignClaims
from caseflow.settings import Settings
from caseflow.temporal_tls import temporal_tls

# One pydantic TypeAdapter per message type for the whole process. The SDK builds a new
# payload converter for every workflow instance, so the SDK's per-converter cache started
# empty for every case and each new case regenerated the schemas of every message it
# touched. Message types live in caseflow.domain (passed through the sandbox), so the keys
# are the same few types for every case; the bound only guards against surprises.
_adapter = functools.lru_cache(maxsize=256)(TypeAdapter)


class _SharedAdapterJSONConverter(PydanticJSONPlainPayloadConverter):
    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        try:
            adapter = _adapter(Any if type_hint is None else type_hint)
        except TypeError:  # an unhashable hint: no caching
            return super().from_payload(payload, type_hint)
        return adapter.validate_json(payload.data)


class PayloadConverter(CompositePayloadConverter):
    """The SDK's default converters with JSON through pydantic (as `pydantic_data_converter`)."""

    def __init__(self) -> None:
        json_converter = _SharedAdapterJSONConverter()
        super().__init__(
            *(
                json_converter if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


# Dataclasses with datetimes and enums round-trip exactly through pydantic's JSON.
DATA_CONVERTER: DataConverter = DataConverter(payload_converter_class=PayloadConverter)


def metrics_runtime(bind_address: str) -> Runtime:
    """A runtime whose SDK metrics (task latencies, slots, polls...) Prometheus can scrape."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


def data_converter(settings: Settings) -> DataConverter:
    """The converter every client and worker uses: payloads encrypted when keys are set, and
    then failures' messages and stack traces too (an activity's or an update's error text is
    otherwise stored in clear in the history: Temporal keeps only "Encoded failure" and the
    error's type, and every client with the keys reads the text back)."""
    if not settings.payload_keys:
        return DATA_CONVERTER
    from caseflow.codec import EncryptionCodec, parse_keys

    return dataclasses.replace(
        DATA_CONVERTER,
        payload_codec=EncryptionCodec(parse_keys(settings.payload_keys)),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client that signs every case start, update and signal it sends (caseflow.claims)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        interceptors=[SignClaims(settings.claim_key_ring())],
        runtime=runtime,
        tls=temporal_tls(settings),
    )
