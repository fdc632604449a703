"""The hours ledger (ODD 4): where paid staff time goes, and what it costs.

Paid hours are the team's capacity (whether worked or idle), overtime and cover at a premium, and
the cost of replacing leavers (about 20% of a year's salary: Boushey & Glynn 2012). Administration
is priced, not assumed away (Hood & Dixon 2015). Social cost adds the hours citizens and
volunteers give, at a shadow price.
"""

from __future__ import annotations

import math

# Column name -> meaning; each is hours per citizen per week, and together they make ``cost``.
LEDGER: dict[str, str] = {
    "hours_service": "Staff hours in encounters (the service itself), per citizen.",
    "hours_dialogue": "Extra encounter hours for dialogue with citizens who take part, per citizen.",
    "hours_target_audit": "Hours recording and auditing performance under targets, per citizen.",
    "hours_outreach": "Hours of the outreach programme (contacting and serving the target group), per citizen.",
    "hours_volunteer_coordination": "Hours coordinating, recruiting, vetting and inducting volunteers, per citizen.",
    "hours_training": "Hours of the training programme, per citizen.",
    "hours_reflection": "Hours in reflection meetings, per citizen.",
    "hours_idle": "Paid hours not worked (no demand left), per citizen.",
    "hours_overtime": "Overtime and cover hours at their premium price, per citizen.",
    "hours_hiring": "Hiring and induction of replacement staff, in staff hours, per citizen.",
}


def ledger(worked: dict[str, float], capacity: float, overtime: float, premium: float,
           hires: int, hiring_cost: float, n_citizens: int) -> dict[str, float]:
    """The week's ledger per citizen: hours by activity, idle hours, overtime and hiring.

    ``worked`` holds hours by activity (the first seven LEDGER entries, without the prefix);
    regular hours not worked are idle. Overtime hours are in ``worked`` already; the overtime line
    adds them again at ``premium - 1`` and takes them out of the regular hours, so the lines sum
    to capacity + premium x overtime + hiring.
    """
    total_worked = math.fsum(worked.values())  # exact: the same on every Python version
    idle = max(0.0, capacity - (total_worked - overtime))
    rows = {f"hours_{name}": hours for name, hours in worked.items()}
    rows["hours_idle"] = idle
    rows["hours_overtime"] = overtime * (premium - 1.0)
    rows["hours_hiring"] = hires * hiring_cost
    return {name: rows.get(name, 0.0) / n_citizens for name in LEDGER}
