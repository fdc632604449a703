"""report.md as one self-contained HTML file: figures inlined as base64 PNGs, a small stylesheet.

Uses the ``markdown`` package (with its ``tables`` extension) when it is installed; otherwise a
small converter below, enough for what ``experiments.analysis`` writes: headings, paragraphs,
bullet lists (one level of nesting), pipe tables, images on their own line, and inline
``**bold**``, ``*italic*``, ```code``` and ``[links](url)``. Nothing is fetched: the file opens
offline, and images that are not PNG/JPEG/SVG files under the results folder stay as links.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

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
    body = _render(text)
    body = _inline_images(body, Path(folder))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def _render(text: str) -> str:
    try:
        import markdown
    except ImportError:
        return convert(text)
    return markdown.markdown(text, extensions=["tables"], output_format="html")


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


# --- the small converter ---------------------------------------------------------------------------
_IMAGE = re.compile(r"^!\[([^\]]*)\]\(([^)\s]+)\)$")


def convert(text: str) -> str:
    """Markdown (the subset the reports use) to HTML."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
            i += 1
            continue
        image = _IMAGE.match(stripped)
        if image:
            out.append(f'<p><img src="{html.escape(image.group(2), quote=True)}" '
                       f'alt="{html.escape(image.group(1), quote=True)}"></p>')
            i += 1
            continue
        if stripped.startswith("|"):
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i].strip())
                i += 1
            out.append(_table(block))
            continue
        if re.match(r"^[-*]\s+", stripped):
            block = []
            while i < len(lines) and (re.match(r"^\s*[-*]\s+", lines[i])
                                      or (lines[i].startswith("  ") and lines[i].strip()
                                          and block)):
                block.append(lines[i])
                i += 1
            out.append(_list(block))
            continue
        block = []
        while i < len(lines) and lines[i].strip() and not _starts_block(lines[i].strip()):
            block.append(lines[i].strip())
            i += 1
        out.append(f"<p>{inline(' '.join(block))}</p>")
    return "\n".join(out)


def _starts_block(stripped: str) -> bool:
    return bool(stripped.startswith(("#", "|")) or _IMAGE.match(stripped)
                or re.match(r"^[-*]\s+", stripped))


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().removeprefix("|").removesuffix("|").split("|")]


def _table(block: list[str]) -> str:
    head = _cells(block[0])
    body = block[2:] if len(block) > 1 and re.fullmatch(r"[|\s:-]+", block[1]) else block[1:]
    parts = ["<table>", "<thead><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head)
             + "</tr></thead>", "<tbody>"]
    for row in body:
        parts.append("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in _cells(row)) + "</tr>")
    parts += ["</tbody>", "</table>"]
    return "\n".join(parts)


def _list(block: list[str]) -> str:
    items: list[tuple[str, list[str]]] = []
    for line in block:
        item = re.match(r"^(\s*)[-*]\s+(.*)$", line)
        if item and not item.group(1):
            items.append((item.group(2), []))
        elif item and items:
            items[-1][1].append(item.group(2))
        elif items:  # a continuation line of the last item
            if items[-1][1]:
                items[-1][1][-1] += " " + line.strip()
            else:
                items[-1] = (items[-1][0] + " " + line.strip(), items[-1][1])
    parts = ["<ul>"]
    for text, children in items:
        nested = ("<ul>" + "".join(f"<li>{inline(c)}</li>" for c in children) + "</ul>"
                  if children else "")
        parts.append(f"<li>{inline(text)}{nested}</li>")
    parts.append("</ul>")
    return "\n".join(parts)


def inline(text: str) -> str:
    """Inline markup: code spans (kept verbatim), then links, bold and italics around them."""
    codes: list[str] = []

    def keep(match: re.Match) -> str:
        codes.append(f"<code>{html.escape(match.group(1))}</code>")
        return f"\x00{len(codes) - 1}\x00"

    text = html.escape(re.sub(r"`([^`]*)`", keep, text), quote=False)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)",
                  lambda m: f'<a href="{html.escape(m.group(2), quote=True)}">{m.group(1)}</a>', text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text)
    return re.sub("\x00(\\d+)\x00", lambda m: codes[int(m.group(1))], text)
