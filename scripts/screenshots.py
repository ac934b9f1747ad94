"""Screenshots of the running demo as a person sees it (Debian's headless Chromium).

    .venv/bin/python scripts/screenshots.py --user area --out /tmp/shots / /enterprises/
    .venv/bin/python scripts/screenshots.py --lang en /projects/   # the English pages

Signs in with the demo password and saves one PNG per path.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="Yingkou@2024")
    parser.add_argument("--out", default="/tmp/zhenxing-shots")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=768)
    parser.add_argument("--lang", choices=["zh-hans", "en"], default="zh-hans")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(
            viewport={"width": args.width, "height": args.height}, locale="zh-CN"
        )
        # the language switch stores the choice in Django's language cookie
        page.context.add_cookies(
            [{"name": "django_language", "value": args.lang, "url": args.base}]
        )
        page.goto(f"{args.base}/login/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", args.password)
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
        for path in args.paths:
            page.goto(args.base + path)
            page.wait_for_load_state("networkidle")
            name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
            suffix = "" if args.lang == "zh-hans" else f"-{args.lang}"
            shot = out / f"{args.user}-{name}{suffix}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(shot)
        browser.close()


if __name__ == "__main__":
    main()
