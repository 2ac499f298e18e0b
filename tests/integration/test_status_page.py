"""The status page in a real browser: Debian's headless Chromium, driven by Playwright.

A simulated floor of three machines runs on ptys with the agent (and its
HTTP server) in one event loop. Chromium opens ``/``, sees the events stored
before it opened in the live tail, every machine ONLINE and new events
arrive; then the simulator silences one machine (its ``silence`` fault,
started at that moment so the page has surely seen the machine online
first) and the page must turn that row OFFLINE, without a reload. The
screenshot is kept as a CI artifact (``artifacts/status-page.png``).

Playwright's sync API runs in one worker thread of its own (it must stay on
the thread that started it); the simulator and the agent keep the loop, so
the browser never delays a reply on the lines.

Chromium is Debian's ``/usr/bin/chromium`` (``apt-get install -y chromium``;
never ``playwright install``). Without it the test is skipped, and fails
when ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from simulator.faults import FaultInjector, FaultRates, TimedFault
from simulator.runner import Simulator

from .floor import running

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACT = Path(__file__).resolve().parents[2] / "artifacts" / "status-page.png"
MACHINES = ("sim-001", "sim-002", "sim-003")
SILENCED = "sim-002"
WAIT_MS = 30_000

SCENARIO = """
seed = 21
[defaults]
games_per_minute = 20.0
bills_per_hour = 600.0
door_openings_per_hour = 120.0
tickets_per_hour = 60.0
player_cards_per_hour = 60.0
"""

T = TypeVar("T")


def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def silence(simulator: Simulator, machine_id: str, seconds: float) -> None:
    """From now on ``machine_id`` neither hears nor answers (the scenario's ``silence`` fault)."""
    (egm,) = [egm for egm in simulator.egms if egm.machine_id == machine_id]
    fault = TimedFault(kind="silence", start=simulator.now(), seconds=seconds)
    if egm.faults is None:
        egm.faults = FaultInjector(FaultRates(), random.Random(0), [fault])
    else:
        egm.faults.timed.append(fault)


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    limit = loop.time() + timeout
    while not predicate():
        assert loop.time() < limit, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def page_answers(url: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    limit = loop.time() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            try:
                response = await client.get(url)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert loop.time() < limit, f"timed out waiting for {url} to answer"
            await asyncio.sleep(0.1)


class StatusPage:
    """One headless Chromium on the status page. Every method runs in the browser thread."""

    def __init__(self, url: str, executable: Path) -> None:
        self.url = url
        self.executable = executable
        self.errors: list[str] = []
        self.requests: list[str] = []
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._page: Page | None = None

    @property
    def page(self) -> Page:
        assert self._page is not None, "open() first"
        return self._page

    def open(self) -> None:
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=str(self.executable), args=CHROMIUM_ARGS
        )
        page = self._browser.new_page(viewport={"width": 1366, "height": 900})
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", lambda request: self.requests.append(request.url))
        page.goto(self.url)
        self._page = page

    def machines_online(self, ids: tuple[str, ...]) -> None:
        for machine in ids:
            row = self.page.locator(f'#machines [data-machine="{machine}"]')
            expect(row).to_have_attribute("data-online", "true", timeout=WAIT_MS)
            expect(row.locator('[data-field="state"]')).to_contain_text("ONLINE")

    def tail_rows(self) -> int:
        """Wait for the live tail to show events; how many it shows."""
        rows = self.page.locator("#tail [data-event]")
        rows.first.wait_for(state="attached")
        return rows.count()

    def tail_has_seq(self, seq: int) -> None:
        """The tail shows the event ``seq`` (stored before the page opened)."""
        expect(self.page.locator(f'#tail [data-seq="{seq}"]')).to_have_count(1, timeout=WAIT_MS)

    def tail_machines(self) -> set[str]:
        rows = self.page.locator("#tail [data-event]")
        return {rows.nth(n).get_attribute("data-machine") or "" for n in range(rows.count())}

    def machine_offline(self, machine: str) -> None:
        row = self.page.locator(f'#machines [data-machine="{machine}"]')
        expect(row).to_have_attribute("data-online", "false", timeout=WAIT_MS)
        expect(row).to_have_attribute("data-state", "offline")
        expect(row.locator('[data-field="state"]')).to_have_text("✖ OFFLINE")
        offline = self.page.locator(f'#tail [data-event="offline"][data-machine="{machine}"]')
        expect(offline).to_have_count(1, timeout=WAIT_MS)
        expect(self.page.locator("#health")).to_have_attribute("data-health", "failing")
        expect(self.page.locator("#health-reasons")).to_contain_text("1 machine offline")

    def charts_drawn(self) -> None:
        """The three charts show points of /api/history (a point per 5 s, fetched every 10 s)."""
        for chart in ("#chart-events", "#chart-buffer", "#chart-poll"):
            drawn = self.page.locator(f"{chart}[data-points]:not([data-points='0'])")
            expect(drawn).to_have_count(1, timeout=WAIT_MS)
            expect(self.page.locator(f"{chart} polyline, {chart} circle").first).to_be_attached()

    def state_of(self, machine: str) -> str | None:
        return self.page.get_attribute(f'#machines [data-machine="{machine}"]', "data-state")

    def live(self) -> str | None:
        return self.page.get_attribute("#conn", "data-state")

    def screenshot(self, *paths: Path) -> None:
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(path), full_page=True)

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()


def test_the_page_shows_live_events_and_a_silenced_machine_going_offline(tmp_path: Path) -> None:
    executable = chromium()
    browser_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")

    async def in_browser(call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(browser_thread, call)

    async def scenario() -> None:
        async with running(tmp_path, len(MACHINES), SCENARIO) as floor:
            agent = floor.agent
            await until(lambda: agent.http_url is not None, 20.0, "the HTTP server to listen")
            assert agent.http_url is not None
            url = agent.http_url
            await page_answers(url, 10.0)

            # events stored before the page opens: the tail starts with the most recent
            await until(lambda: agent.store.last_seq() >= 5, 20.0, "events to be stored")
            before = agent.store.last_seq()
            page = StatusPage(url, executable)
            try:
                await in_browser(page.open)
                await in_browser(lambda: page.tail_has_seq(before))
                await in_browser(lambda: page.machines_online(MACHINES))
                seen = await in_browser(page.tail_rows)
                assert seen > 0
                assert await in_browser(page.tail_machines) <= set(MACHINES)
                assert await in_browser(page.live) == "live"

                silence(floor.simulator, SILENCED, seconds=600.0)
                await in_browser(lambda: page.machine_offline(SILENCED))
                states = await in_browser(lambda: {m: page.state_of(m) for m in MACHINES})
                assert [m for m, state in states.items() if state == "offline"] == [SILENCED]
                assert await in_browser(page.tail_rows) > seen, "no new events arrived"
                await in_browser(page.charts_drawn)
                await in_browser(lambda: page.screenshot(ARTIFACT, tmp_path / "status-page.png"))

                assert page.errors == [], page.errors
                origin = urlsplit(url).netloc
                foreign = [u for u in page.requests if urlsplit(u).netloc not in (origin, "")]
                assert foreign == [], f"the page loaded from elsewhere: {foreign}"
            finally:
                await in_browser(page.close)

    try:
        asyncio.run(scenario())
    finally:
        browser_thread.shutdown(wait=True)
    assert ARTIFACT.stat().st_size > 0
