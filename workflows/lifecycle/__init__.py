"""The case lifecycle in parts: the clock (clock.py), the escalation ladder (escalation.py),
recording (recording.py), the run loop, guard and shared actions (base.py), the steps case
types share (handling.py), and declaring actions from the action table (actions.py)."""
