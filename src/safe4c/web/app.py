"""The app factory: nothing is built at import time."""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import threading
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import anyio

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from safe4c import __version__
from safe4c.kernel.clock import Clock, SystemClock
from safe4c.kernel.settings import KeyProblem, Settings
from safe4c.kernel.crypto import derive_key
from safe4c.kernel import regions
from safe4c.reports.rules.platform_report import PlatformReportCreate
from safe4c.reports.rules.report import ReportCreate
from safe4c.db.session import make_engine
from safe4c.hashlist.matcher import SharedMatcher
from safe4c.statistics import charts
from safe4c.kernel.ratelimits import Limiter
from safe4c.kernel.async_uow import AsyncUowFactory
from safe4c.kernel.uow import UowFactory
from safe4c.web import authorization, errors, inputs, openapi
from safe4c.web.api import health, match, platform, platform_webhook, public
from safe4c.web.pages import routers as pages
from safe4c.web.unavailable import unavailable_app
from safe4c.worker import Worker
from safe4c.web.middleware import SafetyMiddleware
from safe4c.web.proxies import ClientAddresses

WEB_DIR = Path(__file__).parent
log = logging.getLogger(__name__)
_heap_settled = False
# after start-up, not during it: the collection that comes first takes about as long as a full pass (below),
# and a server should answer /healthz as soon as it can (docs/hash-list.md, start-up)
SETTLE_HEAP_AFTER_SECONDS = 5.0


def settle_heap() -> None:
    """Once per process, soon after the first app has started: what start-up built (modules, routes, templates,
    the region tables: some 200,000 objects in a web process) is kept out of the cyclic garbage collector's full
    passes from then on (``gc.freeze``). They live as long as the process, and a full pass that scans them all
    stops the event loop for about 0.15 s, every few thousand requests (docs/operations.md, Intake throughput).

    Garbage is collected first, so that none is kept for ever; frozen objects are still freed by reference
    counting when nothing refers to them any more."""
    global _heap_settled
    if not _heap_settled:
        _heap_settled = True
        gc.collect()
        gc.freeze()


async def settle_heap_after(warming: threading.Thread) -> None:
    """``settle_heap`` once start-up is over: ``SETTLE_HEAP_AFTER_SECONDS`` after it, and after ``warm``."""
    await asyncio.sleep(SETTLE_HEAP_AFTER_SECONDS)
    while warming.is_alive():
        await asyncio.sleep(0.5)
    settle_heap()


def warm() -> None:
    """Load, beside serving, what only some pages need, so that neither start-up nor a first visit waits for it:
    the region tables (0.7 s: their package compiles hundreds of patterns on import), matplotlib for the
    statistics charts, reportlab for the PDFs (evidence packages, transparency reports)."""
    steps = {"region tables": regions.provinces, "charts": charts.warm,
             "evidence PDFs": partial(importlib.import_module, "safe4c.web.pages.evidence_pdf"),
             "transparency PDFs": partial(importlib.import_module, "safe4c.web.pages.transparency_pdf")}
    for what, step in steps.items():
        try:
            step()
        except Exception:  # noqa: BLE001 - the page that needs it will say so; the others still load
            log.exception("could not load the %s ahead of use", what)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None, engine=None) -> FastAPI:
    settings = settings or Settings()
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.resolved_database_url)
    try:
        uow_factory = UowFactory(engine, settings, clock)
    except KeyProblem as problem:  # never serve with a key that cannot open the data (safe4c.kernel.keys)
        log.error("not serving: %s", problem)
        return unavailable_app(settings, problem)
    ctx = uow_factory.ctx
    shared_matcher = SharedMatcher()  # this app's hash list in memory: its API and in-process worker share it
    # The intake hot paths' transactions on the event loop (PostgreSQL; None on SQLite): kernel/async_uow.py.
    async_uow_factory = AsyncUowFactory.for_engine(engine, ctx, size=settings.intake_connections)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Threads beyond a few per core only queue on the GIL and the database (measured in bench intake).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        if async_uow_factory is not None:
            await async_uow_factory.open()
        # The hash list loads in the background (a memory-mapped snapshot: well under a second even at millions
        # of hashes); /healthz says "hash_list": "loading" until it matches, and a match request waits for it.
        shared_matcher.start(uow_factory, poll_seconds=settings.matcher_poll_seconds)
        # what only some pages need, loaded beside serving rather than before it or on a first visit
        warming = threading.Thread(target=warm, name="safe4c-warm", daemon=True)
        warming.start()
        worker = None
        if settings.worker_in_process:
            worker = Worker(uow_factory, poll_seconds=settings.worker_poll_seconds, matcher=shared_matcher)
            worker.start_thread()
        settling = asyncio.create_task(settle_heap_after(warming))
        yield
        settling.cancel()
        if worker is not None:
            worker.stop()
        # the start-up follower, or the one /api/v1/match started when loading at start-up had failed
        shared_matcher.stop()
        if async_uow_factory is not None:
            await async_uow_factory.close()

    app = FastAPI(
        lifespan=lifespan,
        title="safe4c API",
        version=__version__,
        description="Reports of online child sexual exploitation and abuse in Indonesia: public intake, "
                    "platforms, and staff. See docs/ in the repository.",
        docs_url=None, redoc_url=None,  # no browsable docs: /openapi.json is the reference (docs/api.md)
        dependencies=[Depends(inputs.check_text)],  # every route, before its own dependencies
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.uow_factory = uow_factory
    app.state.async_uow_factory = async_uow_factory
    # Dashboards and /statistik read rollups only; they may read them from a read replica (docs/operations.md).
    app.state.statistics_uow_factory = (UowFactory(make_engine(settings.statistics_database_url), settings, clock)
                                        if settings.statistics_database_url else uow_factory)
    app.state.ctx = ctx
    app.state.shared_matcher = shared_matcher
    app.state.client_addresses = ClientAddresses(settings.trusted_proxies)
    app.state.limiter = Limiter(key=derive_key(settings.resolved_secret, "rate-limit"))

    errors.install(app)
    app.include_router(health.router)
    app.include_router(public.router)
    platform.install(app)  # the platform API
    platform_webhook.install(app)  # the platform's webhook: settings, test events, and the webhooks' description
    app.include_router(match.router)  # hash-list matching and sync for platforms
    # the bodies those handlers parse themselves, and the one error shape, in /openapi.json
    openapi.install(app, bodies=[ReportCreate, PlatformReportCreate, match.MatchRequest])
    pages.install(app)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.add_middleware(SafetyMiddleware, max_body_bytes=settings.max_body_bytes,
                       default_language=settings.default_language, secure_cookies=settings.secure_cookies)
    authorization.check_routes(app)  # a route that does not name its action (access/policy.py) is never served
    return app
