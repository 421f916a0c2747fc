"""`safe4c bench portal`: the report form on a throttled 360 px phone, as a frightened child meets it.

Starts its own server on a temporary SQLite database, then drives Debian's chromium (never a downloaded
browser) at 360 x 780 px with the CPU slowed 4 times and a slow 3G network (Chrome DevTools' preset: 2 s
round trip, 400 kbit/s each way). Prints the form's height, how many inputs a person can see, how far down
"Send" is, and the time from opening /lapor to the thank-you page with the follow-up code on the short path
(one situation and a sentence in her own words, then Send), median of ``runs``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

from playwright.sync_api import sync_playwright

from safe4c.bench.server import running_server
from safe4c.db.migrate import upgrade
from safe4c.db.session import make_engine

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 780}
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 400 * 1024 / 8,
           "uploadThroughput": 400 * 1024 / 8}
CPU_SLOWDOWN = 4
STORY = "Ada orang di Instagram minta foto. Dia bilang fotoku mau disebar kalau aku tidak kirim lagi."

# Inputs a person can see and use: not hidden, not inside a closed <details>, with a size on the page.
VISIBLE_INPUTS = """() => [...document.querySelectorAll('form.report input, form.report select, form.report textarea')]
  .filter(el => el.type !== 'hidden' && el.checkVisibility() && el.getClientRects().length > 0).length"""
SEND_TOP = """() => { const b = document.querySelector('form.report button[type=submit]');
  return b.getBoundingClientRect().top + window.scrollY; }"""
HEIGHT = "() => document.documentElement.scrollHeight"
ERROR_TOP = """() => { const s = document.querySelector('.error-summary');
  return s ? s.getBoundingClientRect().top + window.scrollY : -1; }"""


def run(*, runs: int = 3, screenshots: str | None = None) -> int:
    """With ``screenshots`` (a folder), the form and the refused form are saved there as full-page PNGs."""
    if not os.path.exists(CHROMIUM):
        print(f"Debian's chromium is not installed at {CHROMIUM} (make browser)")
        return 1
    with tempfile.TemporaryDirectory() as data_dir:
        url = f"sqlite:///{data_dir}/bench.db"  # the form's figures do not depend on the database
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        env = {"SAFE4C_WORKER_IN_PROCESS": "false", "SAFE4C_PUBLIC_RATE_LIMIT_PER_MINUTE": "0"}
        with running_server(database_url=url, data_dir=data_dir, workers=1, extra_env=env) as (port, _pid), \
                sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            try:
                base = f"http://127.0.0.1:{port}"
                shape = measure_form(browser, base, screenshots)
                times = [time_short_path(browser, base) for _ in range(runs)]
            finally:
                browser.close()
    print(f"portal form at {PHONE['width']} px (CPU x{CPU_SLOWDOWN} slower, slow 3G), {runs} runs:")
    print(f"  form height            {shape['height']:>7,} px ({shape['height'] / PHONE['height']:.1f} screens)")
    print(f"  visible inputs         {shape['inputs']:>7}")
    print(f"  'Send' starts at       {shape['send']:>7,} px ({shape['send'] / PHONE['height']:.1f} screens down)")
    print(f"  refused form height    {shape['error_height']:>7,} px, error summary at {shape['error_top']:,} px, "
          f"'Send' at {shape['error_send']:,} px")
    load = statistics.median(t[0] for t in times)
    send = statistics.median(t[1] for t in times)
    total = statistics.median(t[0] + t[1] for t in times)
    print(f"  open /lapor            {load:>7.1f} s")
    print(f"  Send -> follow-up code {send:>7.1f} s")
    print(f"  open to sent report    {total:>7.1f} s  (runs: {', '.join(f'{a + b:.1f}' for a, b in times)})")
    return 0


def _phone(browser):
    context = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(120_000)
    return context, page


def measure_form(browser, base: str, screenshots: str | None = None) -> dict:
    context, page = _phone(browser)
    try:
        page.goto(base + "/lapor")
        if screenshots:
            page.screenshot(path=os.path.join(screenshots, "form-360.png"), full_page=True)
        shape = {"height": page.evaluate(HEIGHT), "inputs": page.evaluate(VISIBLE_INPUTS),
                 "send": round(page.evaluate(SEND_TOP))}
        page.fill("#story", STORY)  # a refused report: the story, no situation
        page.locator("form.report button[type=submit]").click()
        page.wait_for_selector(".error-summary")
        if screenshots:
            page.screenshot(path=os.path.join(screenshots, "form-refused-360.png"), full_page=True)
        shape.update(error_height=page.evaluate(HEIGHT), error_top=round(page.evaluate(ERROR_TOP)),
                     error_send=round(page.evaluate(SEND_TOP)))
        return shape
    finally:
        context.close()


def time_short_path(browser, base: str) -> tuple[float, float]:
    """(seconds to open the form, seconds from Send to the follow-up code) on the throttled phone, cold cache."""
    context, page = _phone(browser)
    try:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        started = time.perf_counter()
        page.goto(base + "/lapor", wait_until="load")
        opened = time.perf_counter()
        page.check("#situations-sextortion")
        page.fill("#story", STORY)
        clicked = time.perf_counter()
        page.locator("form.report button[type=submit]").click()
        page.wait_for_selector("#followup-code", state="visible")
        return opened - started, time.perf_counter() - clicked
    finally:
        context.close()
