"""Recipient resolution rules, on plain values: the customer's own channel first, an SMS when
that channel has no address, staff through the department's robot or on-duty holders' mail,
and errors that name ids only."""

from __future__ import annotations

import pytest

from caseflow.notify.port import NotConfigured, UnresolvableRecipient
from caseflow.notify.recipients import Robot, StaffMember, customer_address, staff_address

EVERYTHING = {"sms", "email", "app", "wecom", "dingtalk"}
GATEWAYS = {"sms", "email", "wecom", "dingtalk"}  # no app push gateway (as configured today)
CUSTOMER = {"name": "张三", "phone": "138 0013 8000", "tier": "standard"}


@pytest.mark.parametrize("channel", ["sms", "phone", "in_person"])
def test_phone_channels_go_to_the_customers_phone(channel):
    address = customer_address("CMP-1", channel, CUSTOMER, GATEWAYS)
    assert (address.kind, address.channel, address.route) == ("sms", channel, "customer.phone")
    assert address.to == ("13800138000",)


def test_email_goes_to_the_customers_email_when_there_is_one():
    address = customer_address("CMP-1", "email", {**CUSTOMER, "email": "z@example.cn"}, GATEWAYS)
    assert (address.kind, address.channel, address.to) == ("email", "email", ("z@example.cn",))


@pytest.mark.parametrize(
    ("customer", "gateways"),
    [
        (CUSTOMER, GATEWAYS),  # no e-mail address on the case
        ({**CUSTOMER, "email": "not an address"}, GATEWAYS),
        ({**CUSTOMER, "email": "z@example.cn"}, {"sms"}),  # no e-mail gateway
    ],
)
def test_email_without_an_address_or_gateway_falls_back_to_an_sms(customer, gateways):
    address = customer_address("CMP-1", "email", customer, gateways)
    assert (address.kind, address.channel, address.route) == ("sms", "sms", "customer.phone")


@pytest.mark.parametrize(
    ("channel", "key"), [("app", "app_id"), ("web", "app_id"), ("wechat", "openid")]
)
def test_app_channels_use_the_app_id_when_a_gateway_takes_it(channel, key):
    customer = {**CUSTOMER, key: "u-991"}
    address = customer_address("CMP-1", channel, customer, EVERYTHING)
    assert (address.kind, address.route, address.to) == ("app", f"customer.{key}", ("u-991",))
    # No app push gateway: the reply reaches the customer by SMS instead, shaped as an SMS.
    fallback = customer_address("CMP-1", channel, customer, GATEWAYS)
    assert (fallback.kind, fallback.channel) == ("sms", "sms")


@pytest.mark.parametrize(
    "customer",
    [None, {}, {**CUSTOMER, "phone": "(anonymised)"}, {**CUSTOMER, "phone": "138****8000"}],
)
def test_no_dialable_phone_is_unresolvable_and_says_so_without_personal_data(customer):
    with pytest.raises(UnresolvableRecipient) as caught:
        customer_address("CMP-20261122-000007", "sms", customer, GATEWAYS)
    assert str(caught.value) == "case CMP-20261122-000007: the customer has no dialable phone"


def test_no_sms_gateway_is_a_configuration_failure():
    with pytest.raises(NotConfigured, match="no SMS gateway"):
        customer_address("CMP-1", "sms", CUSTOMER, {"email"})


def _member(uid, dept, role, email=None, phone=None, on_duty=True):
    return StaffMember(uid, dept, role, email, phone, on_duty)


STAFF = [
    _member("tl.on", "network_ops", "team_lead", "tl.on@corp.cn", "13900000001"),
    _member("tl.off", "network_ops", "team_lead", "tl.off@corp.cn", "13900000002", False),
    _member("tl.cs", "customer_service", "team_lead", "tl.cs@corp.cn", "13900000003"),
    _member("sup", None, "supervisor", "sup@corp.cn", "13900000004"),
    _member("agent.x", "network_ops", "agent", None, None),
]
ROBOTS = {
    "network_ops": Robot("dingtalk", "http://robot/ding?access_token=t", "SEC"),
    "*": Robot("wecom", "http://robot/wecom?key=k"),
}


def test_a_role_goes_to_the_departments_robot_mentioning_its_on_duty_holders():
    address = staff_address("team_lead", "network_ops", STAFF, ROBOTS, GATEWAYS)
    assert (address.kind, address.channel, address.route) == (
        "dingtalk",
        "internal",
        "robot:network_ops",
    )
    assert address.to == ("http://robot/ding?access_token=t",) and address.secret == "SEC"
    assert address.mentions == ("13900000001",)  # not the off-duty one, not another department's


def test_a_department_without_its_own_robot_uses_the_default_one():
    address = staff_address("team_lead", "customer_service", STAFF, ROBOTS, GATEWAYS)
    assert (address.kind, address.route, address.mentions) == ("wecom", "robot:*", ("13900000003",))


def test_without_robots_a_role_is_mailed_to_its_on_duty_holders_and_floor_wide_staff():
    address = staff_address("team_lead", "network_ops", STAFF, {}, GATEWAYS)
    assert (address.kind, address.route) == ("email", "users:team_lead@network_ops")
    assert address.to == ("tl.on@corp.cn",)
    supervisor = staff_address("supervisor", "network_ops", STAFF, {}, GATEWAYS)
    assert supervisor.to == ("sup@corp.cn",)  # no department: a supervisor of the whole floor


def test_a_user_id_reaches_that_user_even_off_duty():
    address = staff_address("tl.off", "network_ops", STAFF, {}, GATEWAYS)
    assert (address.kind, address.route, address.to) == (
        "email",
        "user:tl.off",
        ("tl.off@corp.cn",),
    )


@pytest.mark.parametrize(
    ("recipient", "message"),
    [
        ("agent", "agent@network_ops: no robot for department network_ops and no on-duty e-mail"),
        ("manager", "manager@network_ops: no robot for department network_ops and no on-duty"),
        ("agent.x", "user agent.x: no robot for department network_ops and no e-mail"),
        ("ghost", "user ghost is unknown or inactive"),
    ],
)
def test_staff_nobody_can_reach_is_unresolvable_naming_ids_only(recipient, message):
    with pytest.raises(UnresolvableRecipient) as caught:
        staff_address(recipient, "network_ops", STAFF, {}, GATEWAYS)
    assert str(caught.value).startswith(message)
    assert "@corp.cn" not in str(caught.value) and "139" not in str(caught.value)
