"""``coprosim dashboard``: start the Solara teaching dashboard (loopback only unless asked).

``--mesa`` serves the plain Mesa SolaraViz page instead, on its own default port, so both can run
at once. ``--host 0.0.0.0`` serves a classroom: anyone who can reach this computer on the network
can open the page and run models on it (no login; no access to files). Sessions are freed soon
after their browser tab closes (``SESSION_CULL``), so a class does not fill the server's memory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
MESA_APP = Path(__file__).resolve().parent / "mesa_app.py"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_MESA_PORT = 8766
# How long a disconnected session is kept for its browser to reconnect (Solara's default is 24 h,
# which on a class server keeps every closed tab's models in memory for a day).
SESSION_CULL = "2m"
# glibc keeps a malloc arena for each thread that served a session and never gives it back, so a
# server's memory climbed about 6% over the first 20 sessions before levelling off (measured with
# benchmarks/bench_dashboard.py: 233 -> 248 MiB, flat from 16 to 56 sessions); with two arenas it
# rose 4% and was flat from 16 sessions on. Other C libraries ignore the variable.
MALLOC_ARENAS = "2"


def solara_executable() -> str:
    """The ``solara`` next to this Python (the project's venv), else the one on PATH."""
    from coprosim._extras import require

    require("dashboard", "solara", "coprosim dashboard")  # one line naming coprosim[dashboard]
    beside = Path(sys.executable).with_name("solara")
    if beside.exists():
        return str(beside)
    found = shutil.which("solara")
    if found is None:
        from coprosim.cli import UsageError

        raise UsageError("dashboard: the 'solara' command was not found; install it with: "
                         "pip install 'coprosim[dashboard]'")
    return found


def _port(text: str) -> int:
    from coprosim.cli import UsageError

    try:
        port = int(text)
    except ValueError:
        raise UsageError(f"--port: must be an integer in [1, 65535], got {text!r}") from None
    if not 1 <= port <= 65535:
        raise UsageError(f"--port: must be an integer in [1, 65535], got {port}")
    return port


def dashboard_command(host: str, port: int, production: bool = True,
                      mesa: bool = False) -> list[str]:
    """The command line that serves the dashboard (or the Mesa page)."""
    command = [solara_executable(), "run", str(MESA_APP if mesa else APP), "--host", host,
               "--port", str(port)]
    if production:
        command.append("--production")
    return command


def server_environment(base: dict | None = None) -> dict:
    """Environment of the server: short session cull, no 'runs on Solara' badge, few malloc
    arenas (each set only where the caller has not set it)."""
    env = dict(os.environ if base is None else base)
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", SESSION_CULL)
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    env.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)
    return env


def cmd_dashboard(args) -> int:
    """Run the dashboard server until interrupted; returns its exit status."""
    port = args.port if args.port is not None else (DEFAULT_MESA_PORT if args.mesa
                                                    else DEFAULT_PORT)
    command = dashboard_command(args.host, port, production=not args.dev, mesa=args.mesa)
    page = "Mesa page" if args.mesa else "dashboard"
    print(f"coprosim {page}: http://{args.host}:{port}  (Ctrl-C to stop)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"Serving on {args.host}: anyone who can reach this computer on port {port} can "
              "open the page and run models here (no login). Students open "
              f"http://<this computer's address>:{port}", flush=True)
    try:
        return subprocess.call(command, env=server_environment())
    except KeyboardInterrupt:
        return 130


def add_commands(subparsers) -> None:
    """Add ``coprosim dashboard [--port P] [--host H] [--mesa]`` to the CLI."""
    parser = subparsers.add_parser("dashboard", help="start the teaching dashboard in a browser")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to bind (default {DEFAULT_HOST}: this computer only)")
    parser.add_argument("--port", type=_port, default=None,
                        help=f"port (default {DEFAULT_PORT}; {DEFAULT_MESA_PORT} with --mesa)")
    parser.add_argument("--mesa", action="store_true",
                        help="serve the plain Mesa SolaraViz page instead of the dashboard")
    parser.add_argument("--dev", action="store_true",
                        help="development mode: reload on code changes, show tracebacks")
    parser.set_defaults(func=cmd_dashboard)
