"""The one way to connect to Temporal: same address, namespace and data converter everywhere."""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from caseflow.settings import Settings

# Dataclasses with datetimes and enums round-trip exactly through pydantic's JSON.
DATA_CONVERTER: DataConverter = pydantic_data_converter

# Custom search attributes (name -> Temporal type), registered by `caseflow dev` on the dev
# server and by the admin tools in production, so cases are findable in the Temporal UI/CLI.
SEARCH_ATTRIBUTE_TYPES: dict[str, str] = {
    "CaseType": "Keyword",
    "Priority": "Keyword",
    "Phase": "Keyword",
    "Department": "Keyword",
    "Assignee": "Keyword",
    "EscalationLevel": "Int",
    "NextDeadline": "Datetime",
}


def metrics_runtime(bind_address: str) -> Runtime:
    """A runtime whose SDK metrics (task latencies, slots, polls...) Prometheus can scrape."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


def data_converter(settings: Settings) -> DataConverter:
    """The converter every client and worker uses: payloads encrypted when keys are set."""
    if not settings.payload_keys:
        return DATA_CONVERTER
    from caseflow.codec import EncryptionCodec, parse_keys

    return dataclasses.replace(
        DATA_CONVERTER, payload_codec=EncryptionCodec(parse_keys(settings.payload_keys))
    )


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        runtime=runtime,
    )
