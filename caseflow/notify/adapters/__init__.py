"""Delivery adapters behind the `caseflow.notify.port.Adapter` port: SMTP e-mail, Alibaba Cloud
SMS, WeCom and DingTalk group robots, and the log stand-in used when nothing is configured."""
