"""`caseflow dev --workers N --api-replicas N`: how many of each part, and where the API
replicas listen (consecutive ports from --port, the first being the main URL)."""

from __future__ import annotations

import pytest

from caseflow.cli import DevStack, build_parser
from caseflow.settings import Settings


def parse(*args: str):
    return build_parser().parse_args(["dev", *args])


def test_one_of_each_by_default(tmp_path):
    stack = DevStack(parse("--data-dir", str(tmp_path)), Settings())
    assert stack.workers == 1 and stack.api_ports == [stack.api_port]


def test_replicas_listen_on_consecutive_ports_from_the_first(tmp_path):
    args = parse("--port", "9100", "--workers", "2", "--api-replicas", "3")
    stack = DevStack(args, Settings(data_dir=tmp_path))
    assert stack.workers == 2 and stack.api_ports == [9100, 9101, 9102]


@pytest.mark.parametrize("value", ["0", "9", "two", "-1"])
def test_a_count_outside_one_to_eight_is_refused_in_words(value, capsys):
    for option in ("--workers", "--api-replicas"):
        with pytest.raises(SystemExit) as refused:
            parse(option, value)
        assert refused.value.code == 2
        assert "expected a number from 1 to 8" in capsys.readouterr().err
