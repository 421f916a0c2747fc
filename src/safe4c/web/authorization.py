"""Every route names its action; the one policy (access/policy.py) decides who may do it.

A route declares its action with one dependency, ``Allowed(action)``:

    staff: Annotated[StaffUser, Allowed("hashlist.change", csrf=True)]     # staff page: session cookie
    platform: Annotated[PlatformPrincipal, Allowed("hashlist.match")]      # platform API: API key
    @router.get("/lapor", dependencies=[Allowed("public.view")])           # public: nothing to check

The action says how the actor is known: staff actions read the session cookie (never the API key), platform
actions the API key (never the cookie, so a signed-in browser cannot be made to call the API), public actions
nothing. Refusals: no session -> the login page; no or a bad key -> 401; a role or platform the policy does not
allow -> 403. ``check_routes`` runs at start-up: a route without exactly one action stops the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials

from safe4c.access.rules import policy
from safe4c.access.rules.policy import Actor
from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.errors import Forbidden, Unauthorized
from safe4c.access import platforms
from safe4c.access.accounts import StaffUser
from safe4c.access.platforms import PlatformPrincipal
from safe4c.web import auth
from safe4c.web.deps import ReadingUowDep
from safe4c.web.platform_auth import BAD_KEY, authenticate, bearer

NOT_ALLOWED = N_("Your role does not allow this.")
ACTION = "authorizes"  # the attribute that marks a dependency as a route's declared action
# Routes the framework adds (the API description) and the static files: public, nothing to check.
FRAMEWORK_ROUTES = {"/openapi.json": "public.view", "/static": "public.view"}


def actor_of(user: StaffUser) -> Actor:
    return (Actor.staff(user.id, user.role, user.agency_id) if user.active
            else policy.NOBODY)


def can(user: StaffUser | None, action: str, record: dict | None = None) -> bool:
    """For templates and handlers: may this signed-in user (None: nobody) do ``action``?"""
    return user is not None and policy.allowed(actor_of(user), action, record)


def require(user: StaffUser, action: str | None) -> None:
    """A second action a handler performs on the user's behalf (e.g. a decision that adds to the hash list)."""
    if action is not None and not can(user, action):
        raise Forbidden(NOT_ALLOWED)


# Where a staff member's work starts, the first page their role may open: analysts and administrators the queue;
# case workers, supervisors and police liaisons their caseload (docs/cases.md); whoever may see the national
# figures (a national officer, once statistics.view exists and is granted) the statistics, until then the case
# figures; a regulator platforms' compliance. An action the policy does not (yet) have is passed over.
LANDINGS: tuple[tuple[str, str], ...] = (("report.list", "/staff"), ("case.list", "/staff/cases"),
                                          ("compliance.view", "/staff/compliance"),  # a regulator's work
                                          ("statistics.view", "/staff/statistics"),  # a national officer's
                                          ("case.figures.view", "/staff/cases/figures"))


def staff_home(user: StaffUser) -> str:
    """Where a staff member lands after signing in (``LANDINGS``); a role with none of those pages lands on the
    start page, which lists what it may open."""
    for action, path in LANDINGS:
        if action in policy.POLICY and can(user, action):
            return path
    return "/staff/home" if can(user, "staff.home") else "/staff/login"


@dataclass(frozen=True)
class PlatformKey:
    """An API key checked later, inside the caller's own transaction (the platform intake's hot path)."""

    action: str
    key: str

    def authorize(self, uow) -> PlatformPrincipal:
        principal = platforms.authenticate(uow=uow, key=self.key)
        if principal is None:
            raise Unauthorized(BAD_KEY)
        _check_platform(principal, self.action)
        return principal

    def authorize_remembered(self) -> PlatformPrincipal | None:
        """``authorize`` without database work, for a key this process checked moments ago
        (``platforms.remembered``); None when it did not: then ``authorize`` in a transaction."""
        principal = platforms.remembered(self.key)
        if principal is not None:
            _check_platform(principal, self.action)
        return principal


def _check_platform(principal: PlatformPrincipal, action: str) -> None:
    if not policy.allowed(Actor.platform(principal.id), action):
        raise Forbidden(NOT_ALLOWED)


def Allowed(action: str, *, csrf: bool = False, in_transaction: bool = False):  # noqa: N802 - reads as a type
    """The dependency that declares and checks a route's action (see the module's docstring).

    ``csrf=True`` for staff form posts (checked after the policy, so a refused role never gets its form read);
    ``in_transaction=True`` for a platform route that authorizes with ``PlatformKey.authorize(uow)`` itself.
    """
    rule = policy.get_rule(action)
    if csrf and not rule.for_staff:
        raise ValueError(f"{action}: CSRF tokens belong to staff forms")
    if in_transaction and not rule.for_platforms:
        raise ValueError(f"{action}: only platform actions authorize inside a transaction")
    # The checks that do no I/O are async: FastAPI runs a plain ``def`` dependency in a worker thread, a trip
    # that costs the intake hot paths more than the check itself.
    if rule.public:
        async def check() -> None:
            return None
    elif rule.for_platforms and in_transaction:
        async def check(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> PlatformKey:
            if credentials is None:
                raise Unauthorized(BAD_KEY)
            return PlatformKey(action, credentials.credentials.strip())
    elif rule.for_platforms:
        def check(uow: ReadingUowDep,
                  credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> PlatformPrincipal:
            principal = authenticate(uow, credentials)
            _check_platform(principal, action)
            return principal
    else:
        async def check(request: Request, user: StaffUser | None = Depends(auth.optional_staff)) -> StaffUser:
            if user is None:
                raise auth.LoginRequired()
            if not can(user, action):
                raise Forbidden(NOT_ALLOWED)
            if csrf:
                await auth.check_csrf(request)
            return user
    setattr(check, ACTION, action)
    check.__name__ = f"allowed_{action.replace('.', '_')}"
    return Depends(check)


# --- every route declares one action ----------------------------------------------------------------------

def app_routes(app: FastAPI) -> list:
    """Every route with its full path, methods and dependencies (routers included into the app, too)."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI >= 0.13x includes routers lazily
    except ImportError:
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def declared_actions(route) -> list[str]:
    original = getattr(route, "original_route", route)
    if not isinstance(original, APIRoute):
        path = getattr(route, "path", None)
        return [FRAMEWORK_ROUTES[path]] if path in FRAMEWORK_ROUTES else []
    found, stack = [], [route.dependant]
    while stack:
        dependant = stack.pop()
        if hasattr(dependant.call, ACTION):
            found.append(getattr(dependant.call, ACTION))
        stack.extend(dependant.dependencies)
    return found


def route_problems(routes: Iterable) -> list[str]:
    problems = []
    for route in routes:
        name = f"{sorted(getattr(route, 'methods', None) or ['*'])} {getattr(route, 'path', route)}"
        actions = declared_actions(route)
        if len(actions) != 1:
            problems.append(f"{name}: declares {sorted(actions) or 'no action'}; add one Allowed(...) "
                            "(web/authorization.py)")
            continue
        rule = policy.get_rule(actions[0])
        original = getattr(route, "original_route", route)
        if rule.for_staff and not isinstance(original, auth.StaffRoute):
            problems.append(f"{name}: a staff action on a router without route_class=StaffRoute")
        if not isinstance(original, APIRoute) and not rule.public:
            problems.append(f"{name}: only a public action can be declared for a framework route")
    return problems


# the route tables found good in this process, keyed by their routers' and endpoints' ids; the value keeps those
# alive, so that no id is reused by another router
_checked: dict[tuple, list] = {}


def check_routes(app: FastAPI) -> None:
    """At start-up: a route that does not declare its action must not be served. The routes are the code's:
    an app that includes the same routers as one already checked in this process is not checked again
    (building every route's dependencies for the check costs ~0.3 s of CPU per app)."""
    # an included router by itself, a route of the app's own by its endpoint, a framework route (the OpenAPI
    # document, the static files: made anew for each app, judged by path alone) by its path
    owners = [getattr(r, "original_router", None) or (r.endpoint if isinstance(r, APIRoute) else None)
              for r in app.router.routes]
    tables = tuple((type(r).__name__, getattr(r, "path", None), id(owner) if owner is not None else None)
                   for r, owner in zip(app.router.routes, owners))
    if tables in _checked:
        return
    problems = route_problems(app_routes(app))
    if problems:
        raise RuntimeError("Routes without a declared action:\n  " + "\n  ".join(problems))
    _checked[tables] = owners
