"""Volunteers (ODD 1.3, steps 4 and 8): recruited from engaged citizens, partners in encounters.

Volunteers join encounters on the community side of the production function, learn by doing,
lose heart when unused or overloaded, and leave at a base rate (about a third a year: CNCS 2009).
"""

from __future__ import annotations

import numpy as np

# Volunteers' motivation (shape constants of one mechanism, not parameters: together they say that a
# volunteer used less than about one week in eight drifts below the level at which they leave, the
# timescale volunteer_churn and volunteer_overload_strain act on). Each week motivation moves
# MOTIVATION_RATE of the way toward 1 when used, toward IDLE_MOTIVATION when not.
MOTIVATION_RATE = 0.1
IDLE_MOTIVATION = 0.2
QUIT_MOTIVATION = 0.3  # a volunteer whose motivation falls below this leaves


def recruit(is_volunteer, efficacy, resources, withdrawn, draw, recruitment, engagement,
            max_share, work_for_more=1.0, asked_draw=None, volunteer_neighbours=None,
            peer_ask=0.0, min_resources=0.0):
    """Engaged citizens may volunteer, when the programme asks them or when a volunteer they know
    does (people volunteer when asked, most often by someone they know: Freeman 1997; Musick &
    Wilson 2008). Self-efficacy is the key driver of co-production (Bovaird et al. 2015), whatever
    the regime, so only citizens with efficacy above ``engagement`` and resources above
    ``min_resources`` say yes.

    Each volunteer among a citizen's neighbours asks them with chance ``peer_ask`` a week. The
    programme recruits as far as it has work for more volunteers (``work_for_more`` in [0, 1]:
    see ``work_for_more``); nobody is recruited to sit idle. Returns the indices of new
    volunteers, at most up to ``max_share`` of citizens in all.
    """
    scale = min(1.0, max(0.0, work_for_more))
    room = int(max_share * is_volunteer.size) - int(is_volunteer.sum())
    if scale <= 0 or room <= 0:
        return np.empty(0, dtype=np.int64)
    asked = draw < recruitment * scale
    if asked_draw is not None and volunteer_neighbours is not None and peer_ask > 0:
        by_peer = -np.expm1(volunteer_neighbours * np.log1p(-min(peer_ask, 1.0 - 1e-12)))
        asked |= asked_draw < by_peer * scale
    eligible = ~is_volunteer & ~withdrawn & (efficacy > engagement) & (resources > min_resources)
    return (eligible & asked).nonzero()[0][:room]


def work_for_more(load, has_volunteers: bool, full_load: float = 0.8) -> float:
    """How far a programme looks for more volunteers: fully when it has none or its volunteers are
    fully booked, not at all below ``full_load`` of their hours, in between a ramp."""
    if not has_volunteers:
        return 1.0
    if full_load >= 1.0:
        return 1.0 if load >= 1.0 else 0.0
    return min(1.0, max(0.0, (load - full_load) / (1.0 - full_load)))


def match_to_encounters(volunteer_ids, hours_each, encounters, durations, wanted, order_draw):
    """Volunteers join the encounters the programme asks them to, in a random order, hour by hour.

    ``wanted`` marks the encounters the programme asks a volunteer to join; ``durations`` are their
    real lengths (a co-creating encounter takes longer than a standard one). Volunteers fill those
    encounters in turn until their hours run out. Returns ``(encounter_citizens, volunteer_of_each,
    load)``: ``load`` is the hours asked for over the hours available (above 1: overload).
    """
    empty = np.empty(0, dtype=np.int64)
    asked = encounters[wanted[encounters]] if encounters.size else empty
    hours_asked = float(durations[asked].sum())
    available = hours_each * volunteer_ids.size
    load = hours_asked / available if available > 0 else 0.0
    if volunteer_ids.size == 0 or hours_each <= 0 or asked.size == 0:
        return empty, empty, load
    asked = asked[np.argsort(order_draw[asked], kind="stable")]
    cum = np.cumsum(durations[asked])
    k = int(np.searchsorted(cum, available, side="right"))
    chosen = asked[:k]
    # volunteer v takes the encounters whose cumulative hours fall in its share of the hours
    which = np.minimum((cum[:k] - 1e-12) // hours_each, volunteer_ids.size - 1).astype(np.int64)
    return chosen, volunteer_ids[which], load


def after_week(motivation, skill, used, learning_rate, overload=0.0, overload_strain=0.0):
    """Used volunteers learn and find meaning; unused ones lose heart; overloaded ones burn out.

    Motivation moves toward 1 in a week of use and toward 0.2 in a week without, so a volunteer
    used less than about one week in eight drifts below the leaving threshold (0.3). ``overload``
    is the load beyond the hours offered (0 when the programme asks no more than volunteers give).
    """
    skill[used] += learning_rate * (1.0 - skill[used])
    level = IDLE_MOTIVATION + (1.0 - IDLE_MOTIVATION) * used.astype(float)
    motivation += MOTIVATION_RATE * (level - motivation)
    motivation -= overload_strain * overload * motivation * used
    np.clip(motivation, 0.0, 1.0, out=motivation)


def volunteers_leaving(volunteer_ids, motivation, draw, churn):
    """Volunteers leave at a base rate, and for sure once demotivated."""
    return volunteer_ids[(draw[volunteer_ids] < churn) | (motivation[volunteer_ids] < QUIT_MOTIVATION)]
