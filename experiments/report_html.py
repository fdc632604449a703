"""report.md as one self-contained HTML file: figures inlined as base64 PNGs, a small stylesheet.

The ``markdown`` package (with its ``tables`` extension) converts the text. Nothing is fetched: the
file opens offline, and images that are not PNG/JPEG/SVG files under the results folder stay as
links.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import markdown

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 72rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; color: #222; }
h1, h2, h3 { line-height: 1.2; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .85rem; display: block;
        overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr:nth-child(even) td { background: #fafafa; }
code { background: #f3f3f3; padding: 0 .2rem; border-radius: 3px; font-size: .9em; }
img { max-width: 100%; height: auto; display: block; margin: .6rem 0; }
li { margin: .15rem 0; }
"""

MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def markdown_to_html(text: str, folder: str | Path, title: str = "report") -> str:
    """The report as a standalone HTML page; images under ``folder`` are embedded."""
    body = markdown.markdown(text, extensions=["tables"], output_format="html")
    body = _inline_images(body, Path(folder))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def _inline_images(body: str, folder: Path) -> str:
    root = folder.resolve()

    def embed(match: re.Match) -> str:
        source = html.unescape(match.group(2))
        path = (folder / source).resolve()
        mime = MIME.get(path.suffix.lower())
        if mime is None or not path.is_file() or root not in path.parents:
            return match.group(0)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'{match.group(1)}data:{mime};base64,{data}{match.group(3)}'

    return re.sub(r'(<img\b[^>]*?\bsrc=")([^"]+)(")', embed, body)
