"""Production of public value in an encounter: one CES function for every encounter.

After Parks et al. (1981) and Ostrom (1996): regular producers (staff) and consumer producers
(citizens, with volunteers on the community side) combine their inputs. The constant elasticity
of substitution form ``Q = A * (delta * S**rho + (1 - delta) * C**rho) ** (1 / rho)`` nests Parks
et al.'s two cases: rho = 1 perfect substitutes (``Q = a*S + b*C``), rho -> 0 Cobb-Douglas
(``Q = A * S**delta * C**(1-delta)``), rho -> -inf Leontief (nothing without both).
"""

from __future__ import annotations

import numpy as np

_COBB_DOUGLAS_BAND = 1e-9


def ces(staff_input, citizen_input, rho: float, staff_weight: float, productivity: float = 1.0):
    """CES output of staff and citizen inputs (Parks et al. 1981; Ostrom 1996).

    Works on scalars and numpy arrays alike; inputs are clipped at zero. For rho < 0 (complements)
    a zero input gives zero output, as the Leontief limit requires.
    """
    s = np.maximum(np.asarray(staff_input, dtype=float), 0.0)
    c = np.maximum(np.asarray(citizen_input, dtype=float), 0.0)
    d = float(staff_weight)
    if abs(rho) < _COBB_DOUGLAS_BAND:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(d > 0, s**d, 1.0) * np.where(d < 1, c ** (1 - d), 1.0)
        return productivity * out
    if rho > 0:
        return productivity * (d * s**rho + (1 - d) * c**rho) ** (1.0 / rho)
    # complements: s**rho is infinite at zero input, so the output there is zero; a tiny input
    # may overflow s**rho to infinity, whose power 1/rho is 0, the same limit (no warning due)
    positive = ((s > 0) | (d == 0)) & ((c > 0) | (d == 1))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s_term = np.where(s > 0, s, 1.0) ** rho
        c_term = np.where(c > 0, c, 1.0) ** rho
        inner = (d * s_term if d > 0 else 0.0) + ((1 - d) * c_term if d < 1 else 0.0)
        out = np.where(positive, inner ** (1.0 / rho), 0.0)
    return productivity * out


def staff_quality(motivation, burnout, unmotivated_quality, burnout_quality_loss):
    """The staff member's input to an encounter: ``unmotivated_quality`` with no motivation, 1 with
    full motivation (public service motivation and performance: Perry & Wise 1990), less
    ``burnout_quality_loss`` at full burnout (Salyers et al. 2017)."""
    motivated = unmotivated_quality + (1.0 - unmotivated_quality) * motivation
    return motivated * (1.0 - burnout_quality_loss * burnout)


def input_diversity(staff_input, citizen_input, volunteer_input):
    """Diversity of those present, from 0 (one actor does everything) to 1 (equal shares of three).

    The Gini-Simpson index of input shares, normalised by its maximum (2/3). It stands for the
    idea of Jensen & Thomassen (2020) and Thomassen & Jensen (2020) that wicked problems need
    several kinds of actor (New Public Governance), and it raises the chance of an innovation
    (emergence).
    """
    s = np.maximum(np.asarray(staff_input, dtype=float), 0.0)
    c = np.maximum(np.asarray(citizen_input, dtype=float), 0.0)
    v = np.maximum(np.asarray(volunteer_input, dtype=float), 0.0)
    total = s + c + v
    with np.errstate(divide="ignore", invalid="ignore"):
        simpson = 1.0 - ((s / total) ** 2 + (c / total) ** 2 + (v / total) ** 2)
    return np.where(total > 0, simpson / (2.0 / 3.0), 0.0)


def wicked_productivity(diversity, wicked_penalty: float):
    """Productivity on wicked needs: a single actor loses ``wicked_penalty``, diverse encounters none."""
    return 1.0 - wicked_penalty * (1.0 - np.asarray(diversity, dtype=float))


def need_reduced(output, need, wicked_need, diversity, wicked_penalty: float, innovation_gain,
                 wicked_loss=0.0):
    """Need reduced by an encounter, and the part of it due to innovations (emergent value).

    The encounter's output works fully on simple need and at ``wicked_productivity`` on the wicked
    part of the need, less ``wicked_loss`` (input withdrawn from unmeasured work under target
    pressure: gaming); local innovations multiply the output by ``1 + innovation_gain``.
    Returns ``(reduction, emergent, effective)``; the reduction never exceeds the need, and
    ``effective`` is the planned output before the cap (what a failed encounter can destroy).
    """
    need = np.asarray(need, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        wicked_fraction = np.where(need > 0, wicked_need / need, 0.0)
    on_wicked = wicked_productivity(diversity, wicked_penalty) * (1.0 - np.asarray(wicked_loss))
    effective = output * (1.0 - wicked_fraction * (1.0 - on_wicked))
    planned = np.minimum(need, effective)
    reduction = np.minimum(need, effective * (1.0 + innovation_gain))
    return reduction, reduction - planned, effective
