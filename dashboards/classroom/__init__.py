"""Class mode: participatory simulation in the browser, as HubNet does for NetLogo.

The teacher's Class tab (``pages.ClassTab``) shows the join address as text and as a QR code;
students open ``/join`` on their phones (``pages.JoinPage``): no account, a class code of 4 to 8
letters or digits. The class predicts the lesson's outcome, runs the lesson on a seed per student
(the class as a sample) and plays citizens and staff inside one shared model (role-play).

Modules: ``registry`` (the classes on this server, shared by every tab, with a lock),
``predictions`` (a lesson's question as choices, and a run's outcome), ``sample`` (the queue of
students' runs), ``roleplay`` (the shared model played round by round), ``address`` (the join
address and its QR code), ``charts`` (the class's pictures), ``pages`` (the Solara components).
Only ``pages`` needs Solara.
"""

_PAGES = ("ClassTab", "JoinPage", "routes")


def __getattr__(name: str):
    """``ClassTab``, ``JoinPage`` and ``routes`` (the dashboard's hooks) load Solara only when
    asked for, so the plain modules stay light."""
    if name in _PAGES:
        from . import pages

        return getattr(pages, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
