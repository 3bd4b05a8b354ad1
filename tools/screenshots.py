"""`make screenshots`: the front page, a search and an article at phone and desktop widths in English and
Russian, from the whole local system in chromium, as PNGs in screenshots/; and the front page's weight."""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Response, sync_playwright

from tests.browser.system import CHROMIUM, LANG_STORE, NO_CHROMIUM, REPO_ROOT, local_system

OUT = REPO_ROOT / "screenshots"
PAGES = {"front": "/", "search": "/search.html?q=tenge", "article": "/article.html?slug=tenge-ends-week-stronger"}
WIDTHS = {"phone": 375, "desktop": 1280}
WEIGHED = ("document", "stylesheet", "script")


def main() -> int:
    if CHROMIUM is None:
        print(NO_CHROMIUM, file=sys.stderr)
        return 1
    OUT.mkdir(exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        local_system(Path(folder), {}, "tenge") as reader,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for lang in ("en", "ru"):
            for width_name, width in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang)
                context.add_init_script(f"localStorage.setItem({LANG_STORE!r}, {json.dumps(lang)})")
                page = context.new_page()
                for name, path in PAGES.items():
                    page.goto(reader.site + path)
                    page.wait_for_load_state("networkidle")
                    shot = OUT / f"{name}-{lang}-{width_name}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    print(shot.relative_to(REPO_ROOT))
                context.close()
        weighed: list[Response] = []
        page = browser.new_page()
        page.on("response", lambda r: r.request.resource_type in WEIGHED and weighed.append(r))
        page.goto(reader.site + "/")
        page.wait_for_load_state("networkidle")
        own = [r for r in weighed if r.url.startswith(reader.site)]
        total = sum(len(gzip.compress(r.body(), 9)) for r in own)
        raw = sum(len(r.body()) for r in own)
        print(f"front page weight: {total / 1024:.1f} KiB gzip ({raw / 1024:.1f} KiB raw) in {len(own)} files")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
