#!/usr/bin/python3
"""check-markdown.py — the project's Markdown renders as written.

    scripts/check-markdown.py [FILE.md ...]     (default: every tracked *.md)

Parses each file with markdown-it-py (Debian's python3-markdown-it, a CommonMark parser: what
GitHub and most viewers implement) and fails on what silently breaks rendering:

  * a fenced code block whose opening fence has no info string. A stray "```" is parsed as the
    OPENING of a block that swallows the prose after it up to the next fence (README once lost a
    whole section that way); requiring a language (```sh, ```text) on every block makes a stray
    fence an error instead of a rendering surprise;
  * a fenced block that is never closed (it runs to the end of the file);
  * a relative link or image whose target file does not exist, or whose #anchor names no heading
    of the target (GitHub's anchor rule: lower case, punctuation dropped, spaces to dashes).

Prints one "FILE:LINE: problem" per finding and exits 1 if there is any. Run with Debian's
/usr/bin/python3: that is where apt installs python3-markdown-it (scripts/setup.sh).
"""
import os
import re
import subprocess
import sys
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
md = MarkdownIt("commonmark")


def anchor(heading: str) -> str:
    """GitHub's heading anchor: lower-cased, punctuation except - and _ removed, spaces → -."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def headings(tokens) -> set:
    found, seen = set(), {}
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            slug = anchor(tokens[i + 1].content)
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def check(path: str) -> list:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    tokens = md.parse(text)
    problems = []
    here = os.path.dirname(os.path.abspath(path))

    for token in tokens:
        if token.type != "fence":
            continue
        start, end = token.map  # 0-based [first line, line after the block)
        if not token.info.strip():
            problems.append((start + 1, f"code block opens with a bare {token.markup}: name its "
                             f"language ({token.markup}sh, {token.markup}text, …); a stray fence "
                             "would otherwise swallow the text after it"))
        closing = lines[end - 1].strip() if end - 1 < len(lines) else ""
        if end - 1 == start or not closing.startswith(token.markup[0] * len(token.markup)):
            problems.append((start + 1, f"code block opened here is never closed"))

    anchors_of = {}
    for token in tokens:
        if token.type != "inline":
            continue
        for child in token.children or []:
            target = child.attrs.get("href") if child.type == "link_open" else (
                child.attrs.get("src") if child.type == "image" else None)
            if not target:
                continue
            parts = urlsplit(target)
            if parts.scheme or target.startswith("//"):
                continue  # absolute URL (https:, mailto:, file:): not a file of this repository
            line = token.map[0] + 1 if token.map else 0
            file = os.path.normpath(os.path.join(here, unquote(parts.path))) if parts.path else os.path.abspath(path)
            if not os.path.exists(file):
                problems.append((line, f"link to {target}: {os.path.relpath(file, REPO)} does not exist"))
                continue
            if parts.fragment and file.endswith(".md"):
                if file not in anchors_of:
                    with open(file, encoding="utf-8") as f:
                        anchors_of[file] = headings(md.parse(f.read()))
                if parts.fragment.lower() not in anchors_of[file]:
                    problems.append((line, f"link to {target}: no heading with anchor #{parts.fragment}"))
    return problems


def main(argv) -> int:
    files = argv or subprocess.run(
        ["git", "-C", REPO, "ls-files", "*.md"], check=True, capture_output=True, text=True
    ).stdout.split()
    files = [f if os.path.isabs(f) or argv else os.path.join(REPO, f) for f in files]
    count = 0
    for f in files:
        for line, problem in check(f):
            print(f"{os.path.relpath(f, REPO)}:{line}: {problem}")
            count += 1
    print(f"check-markdown: {len(files)} files, {count} problems")
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
