"""Static checks of the site's pages: `python3 site/tests/check_pages.py` (exit 1 on a problem).

Well-formed markup, unique ids, a label for every field, no inline script/style/handler (the CSP
forbids them), ids the page's script looks up exist, and HTML from the API inserted only where allowed.
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

SITE = Path(__file__).resolve().parent.parent
VOID = {"meta", "link", "input", "br", "img", "hr", "source"}
# The only HTML the API sends: sanitized article bodies and server-escaped <mark> highlights.
INNER_HTML_ALLOWED = {"a.body_html", "r.title_highlighted", "r.snippet"}


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ids: set[str] = set()
        self.labels: set[str] = set()
        self.fields: set[str] = set()
        self.scripts: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        ident = a.get("id")
        if ident:
            if ident in self.ids:
                self.problems.append(f"duplicate id {ident}")
            self.ids.add(ident)
        self.problems += [f"inline {k} on <{tag}>" for k, _ in attrs if k.startswith("on") or k == "style"]
        src = a.get("src")
        if tag == "script":
            if src:
                self.scripts.append(src)
            else:
                self.problems.append("inline script")
        if tag == "style":
            self.problems.append("<style> element")
        target = a.get("for")
        if tag == "label" and target:
            self.labels.add(target)
        if tag in {"input", "select", "textarea"}:
            self.fields.add(a.get("id") or f"<{tag} name={a.get('name')}> without id")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> at line {self.getpos()[0]} closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def check(path: Path) -> list[str]:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    problems = page.problems + [f"unclosed {page.stack}"] * bool(page.stack)
    problems += [f"no label for {f}" for f in sorted(page.fields - page.labels)]
    for src in page.scripts:
        js = (SITE / src.lstrip("/")).read_text(encoding="utf-8")
        looked_up = set(re.findall(r'\$\("([\w-]+)"\)', js))
        problems += [f"{src} looks up missing id {i}" for i in sorted(looked_up - page.ids)]
    return problems


def check_scripts() -> list[str]:
    problems = []
    for js in sorted((SITE / "js").glob("*.js")):
        text = js.read_text(encoding="utf-8")
        for m in re.finditer(r"\.innerHTML\s*=\s*([\w.]+)", text):
            if m.group(1) not in INNER_HTML_ALLOWED:
                problems.append(f"{js.name}: innerHTML from {m.group(1)}")
        for bad in ("eval(", "new Function", "insertAdjacentHTML", "outerHTML =", "document.write"):
            if bad in text:
                problems.append(f"{js.name}: {bad}")
    return problems


def main() -> int:
    problems = [f"{p.name}: {msg}" for p in sorted(SITE.glob("*.html")) for msg in check(p)] + check_scripts()
    print("\n".join(problems) or "pages OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
