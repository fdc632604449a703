"""``coprosim dashboard``: start the Solara teaching dashboard (loopback only unless asked)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def solara_executable() -> str:
    """The ``solara`` next to this Python (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("solara")
    if beside.exists():
        return str(beside)
    found = shutil.which("solara")
    if found is None:
        from coprosim.cli import UsageError

        raise UsageError("dashboard: the 'solara' command was not found; run 'make setup' first")
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


def dashboard_command(host: str, port: int, production: bool = True) -> list[str]:
    """The command line that serves the dashboard."""
    command = [solara_executable(), "run", str(APP), "--host", host, "--port", str(port)]
    if production:
        command.append("--production")
    return command


def cmd_dashboard(args) -> int:
    """Run the dashboard server until interrupted; returns its exit status."""
    command = dashboard_command(args.host, args.port, production=not args.dev)
    print(f"coprosim dashboard: http://{args.host}:{args.port}  (Ctrl-C to stop)", flush=True)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 130


def add_commands(subparsers) -> None:
    """Add ``coprosim dashboard [--port P] [--host H]`` to the CLI."""
    parser = subparsers.add_parser("dashboard", help="start the teaching dashboard in a browser")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to bind (default {DEFAULT_HOST}: this computer only)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--dev", action="store_true",
                        help="development mode: reload on code changes, show tracebacks")
    parser.set_defaults(func=cmd_dashboard)
