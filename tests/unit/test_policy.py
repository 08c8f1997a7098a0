"""The policy table: the packaged defaults match the standards, and bad files fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseflow.domain import (
    CaseType,
    Category,
    Channel,
    CustomerTier,
    PolicyRequest,
    Severity,
)
from caseflow.policy import PACKAGED_DIR, PolicyBook, PolicyError, load_policy_file

BOOK = PolicyBook.load()
DEFAULT = (PACKAGED_DIR / "2026.1.toml").read_text(encoding="utf-8")


def resolve(
    case_type=CaseType.COMPLAINT,
    severity=None,
    tier=CustomerTier.STANDARD,
    category=None,
    channel=Channel.WEB,
):
    return BOOK.resolve(PolicyRequest(None, case_type, severity, tier, category, channel))


@pytest.mark.parametrize(
    ("severity", "handling"),
    [
        (Severity.GENERAL, "3wd"),
        (Severity.MAJOR, "5wd"),
        (Severity.ESPECIALLY_MAJOR, "10wd"),
        (Severity.URGENT, "24h"),
    ],
)
def test_complaint_handling_by_severity(severity, handling):
    resolved = resolve(severity=severity, category=Category.SERVICE)
    assert resolved.targets["handling"] == handling
    assert resolved.targets["response"] == "24h"
    assert resolved.targets["feedback"] == "24h" and resolved.targets["follow_up"] == "48h"
    assert resolved.targets["transfer"] == "1h"


def test_green_channel_and_sources():
    resolved = resolve(severity=Severity.MAJOR, tier=CustomerTier.VIP)
    assert resolved.targets["response"] == "12h"
    assert resolved.sources["response"] == "complaint-vip"
    assert resolved.sources["handling"] == "complaint-major"
    assert resolved.sources["feedback"] == "complaint-default"


def test_inquiry_and_unsubscribe_windows():
    phone = resolve(CaseType.INQUIRY, channel=Channel.PHONE)
    assert phone.targets["response"] == "5m" and phone.targets["first_answer"] == "30m"
    assert phone.targets["handling"] == "24h" and phone.targets["feedback"] == "2wd"
    assert "first_answer" not in resolve(CaseType.INQUIRY).targets
    assert resolve(CaseType.INQUIRY, category=Category.RULES).targets["handling"] == "48h"
    unsub = resolve(CaseType.UNSUBSCRIBE)
    assert unsub.targets["response"] == "24h" and unsub.targets["handling"] == "72h"
    assert unsub.targets["consent"] == "24h"


@pytest.mark.parametrize(
    ("category", "department"),
    [
        (Category.SERVICE, "customer_service"),
        (Category.PRODUCT, "product"),
        (Category.MARKETING, "marketing"),
        (Category.POLICY, "policy"),
        (None, "customer_service"),
    ],
)
def test_routing(category, department):
    assert resolve(category=category, severity=Severity.GENERAL).department == department


def test_ladder():
    ladder = resolve().ladder
    assert [s.level for s in ladder] == [1, 2, 3, 4]
    assert ladder[1].notify == "team_lead" and ladder[1].acts_within == "4h"
    assert ladder[-1].acts_within is None and ladder[-1].business_hours_only


def write(tmp_path: Path, version: str, text: str) -> Path:
    path = tmp_path / f"{version}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('handling = "5wd"', 'handling = "5 weeks"'), "invalid duration"),
        (("level = 2\n", "level = 3\n"), "ladder levels"),
        (('notify = "manager"', 'notify = "manager"\nacts_within = "1h"'), "top ladder level"),
        (('marketing = "marketing"\n', ""), "routing has no department"),
        (('consent = "24h"', 'consent_x = "24h"'), "consent_x"),
        (('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"'), "timezone"),
        (("warn_ratio = 0.8", "warn_ratio = 1.5"), "warn_ratio"),
        (("[business_hours]", "[business_hours"), "cannot read"),
    ],
)
def test_invalid_policies_are_refused_with_a_clear_message(tmp_path, change, message):
    old, new = change
    assert old in DEFAULT
    text = DEFAULT.replace('version = "2026.1"', 'version = "7.1"').replace(old, new, 1)
    with pytest.raises(PolicyError, match=message):
        load_policy_file(write(tmp_path, "7.1", text))


def test_a_case_type_without_a_default_window_is_refused(tmp_path):
    text = DEFAULT.replace('version = "2026.1"', 'version = "7.2"').replace(
        'consent = "24h"       #', "#", 1
    )
    with pytest.raises(PolicyError, match="'consent' for unsubscribe"):
        load_policy_file(write(tmp_path, "7.2", text))


def test_file_name_must_match_the_version(tmp_path):
    with pytest.raises(PolicyError, match="name it 2026.1.toml"):
        load_policy_file(write(tmp_path, "other", DEFAULT))


def test_versions_newest_active_and_pinned_ones_kept(tmp_path):
    write(tmp_path, "2027.1", DEFAULT.replace('version = "2026.1"', 'version = "2027.1"'))
    book = PolicyBook.load(tmp_path)
    assert book.active_version == "2027.1"
    assert book.get("2026.1").version == "2026.1"
    assert PolicyBook.load(tmp_path, active="2026.1").active_version == "2026.1"
    with pytest.raises(PolicyError, match="not found"):
        PolicyBook.load(tmp_path, active="1999.1")
    with pytest.raises(PolicyError, match="not loaded"):
        book.get("1999.1")


def test_an_invalid_policy_stops_the_worker_at_start_with_a_clear_error(tmp_path):
    import os
    import subprocess
    import sys

    text = DEFAULT.replace('version = "2026.1"', 'version = "7.9"').replace(
        'handling = "5wd"', 'handling = "five days"'
    )
    write(tmp_path, "7.9", text)
    env = {
        **os.environ,
        "CASEFLOW_POLICY_DIR": str(tmp_path),
        "CASEFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 2
    assert "7.9.toml" in done.stderr and "invalid duration 'five days'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_strict_reading_is_taken_only_when_selected():
    book = PolicyBook.load()
    # 2026.3-strict sorts after 2026.3, but only a "default" reading becomes active unasked.
    assert book.active_version == "2026.3"
    assert book.get("2026.3-strict").reading == "strict"
    strict = PolicyBook.load(active="2026.3-strict")
    assert strict.active_version == "2026.3-strict"


def test_versions_sort_by_number_and_never_compare_words_with_numbers(tmp_path):
    for version in ("2026.9", "2026.10", "2026.10-strict"):
        text = DEFAULT.replace('version = "2026.1"', f'version = "{version}"')
        if version.endswith("strict"):
            text = text.replace(
                f'version = "{version}"', f'version = "{version}"\nreading = "strict"'
            )
        write(tmp_path, version, text)
    assert PolicyBook.load(tmp_path).active_version == "2026.10"


def test_every_packaged_version_names_its_conflicts_or_predates_them():
    book = PolicyBook.load()
    for version in ("2026.3", "2026.3-strict"):
        topics = {c.topic for c in book.get(version).conflicts}
        assert {
            "complaint handling time",
            "inquiry handling time",
            "transfer hand-over time",
            "first reply online",
            "closed loop",
            "satisfaction target",
            "record retention",
        } <= topics
    # The strict version takes the shortest limit for complaints.
    strict = book.get("2026.3-strict")
    rows = {r.id: r.targets for r in strict.windows}
    assert rows["complaint-default"]["handling"] == "24h"


def test_where_a_clock_starts_is_the_policys_and_only_where_it_may_move(tmp_path):
    moved = DEFAULT.replace('version = "2026.1"', 'version = "2027.2"') + (
        '\n[starts.complaint]\nfeedback = "receipt"\n'
    )
    write(tmp_path, "2027.2", moved)
    with pytest.raises(PolicyError, match="fixed by its step"):
        PolicyBook.load(tmp_path)
