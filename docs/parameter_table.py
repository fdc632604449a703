"""Print the parameter table of docs/ODD.md (section 3.3) from ``Params`` itself.

    .venv/bin/python docs/parameter_table.py   # paste between the markers in docs/ODD.md

``tests/test_model.py`` checks that docs/ODD.md lists every parameter with its default.
"""

from __future__ import annotations

from coprosim.model import Params
from coprosim.model.params import GROUPS


def table() -> str:
    lines = []
    for group in GROUPS:
        names = [n for n in Params.field_names() if Params.spec(n)["group"] == group]
        if not names:
            continue
        lines += ["", f"**{group}** ({GROUPS[group]})", "",
                  "| parameter | default | range | plausible | unit | source | meaning |",
                  "|---|---|---|---|---|---|---|"]
        for name in names:
            spec = Params.spec(name)
            lo, hi = spec["range"]
            plo, phi = spec["plausible"]
            plausible = "—" if (plo, phi) == (lo, hi) else f"[{plo}, {phi}]"
            lines.append(f"| `{name}` | {spec['default']} | [{lo}, {hi}] | {plausible} | "
                         f"{spec['unit']} | {spec['source']} | {spec['meaning']} |")
    return "\n".join(lines).strip() + "\n"


if __name__ == "__main__":
    print(table(), end="")
