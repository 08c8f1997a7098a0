from caseflow.db.engine import make_engine, make_sessionmaker
from caseflow.db.models import CaseEventRow, CaseRow, Department, IntakeKey, NotificationRow, User

__all__ = [
    "CaseEventRow",
    "CaseRow",
    "Department",
    "IntakeKey",
    "NotificationRow",
    "User",
    "make_engine",
    "make_sessionmaker",
]
