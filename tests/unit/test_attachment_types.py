"""Attachments are judged by their bytes, and actions carry their ids with a real default."""

from __future__ import annotations

import pytest

from api.action_bodies import body_model
from caseflow.attachments import UnsupportedType, sniff
from caseflow.attachments.records import clean_filename
from caseflow.domain import Actor, NoteAction, Role
from caseflow.domain.actions import ACTIONS

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16


@pytest.mark.parametrize(
    ("head", "mime"), [(PNG, "image/png"), (PDF, "application/pdf"), (JPEG, "image/jpeg")]
)
def test_accepted_types_are_recognised_by_their_magic_numbers(head, mime):
    assert sniff(head) == mime


@pytest.mark.parametrize(
    "head",
    [
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64,  # a Windows executable called x.png
        b"PK\x03\x04" + b"\x00" * 64,  # a ZIP archive
        b"hello, this is plain text pretending to be a PDF",
    ],
)
def test_anything_else_is_refused_whatever_its_name(head):
    with pytest.raises(UnsupportedType):
        sniff(head)


def test_file_names_lose_paths_and_control_characters():
    assert clean_filename("C:\\Users\\x\\账单.pdf", "f") == "账单.pdf"
    assert clean_filename('../../etc/"pass\x00wd"', "f") == "_pass_wd_"
    assert clean_filename("", "ATT-1.png") == "ATT-1.png"


@pytest.mark.parametrize("action", ["note", "resolve", "feedback"])
def test_an_omitted_attachment_list_is_an_empty_list_not_none(action):
    rule = ACTIONS[action]
    fields = {"note": {"text": "t"}, "resolve": {"result": "r", "process": "p"}}
    body = body_model(rule)(**fields.get(action, {"message": "m"}))
    assert body.attachments == []
    message = rule.message(actor=Actor("a", Role.AGENT), **dict(body))
    assert message.attachments == []


def test_attachment_lists_are_capped():
    with pytest.raises(ValueError):
        body_model(ACTIONS["note"])(text="t", attachments=[f"ATT-{i}" for i in range(21)])
    assert NoteAction(Actor("a", Role.AGENT), "t").attachments == []
