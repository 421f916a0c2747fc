"""The platform's webhook: its address and signing secret (changeable after registration), test events, the
deliveries and their outcome, and the OpenAPI 3.1 ``webhooks`` section that describes what safe4c sends.

Every route needs ``Authorization: Bearer <key>`` and reaches only the calling platform's own webhook and
deliveries (another platform's delivery is 404). Guide: docs/platform-api.md ("Webhooks").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from safe4c.access import platforms
from safe4c.access.platforms import PlatformPrincipal
from safe4c.kernel.clock import rfc3339
from safe4c.takedowns import webhooks
from safe4c.takedowns.rules import signing
from safe4c.web.api.platform import UNAUTHORIZED, Takedown
from safe4c.web.authorization import Allowed
from safe4c.web.deps import ReadingUowDep, UowDep
from safe4c.web.inputs import ApiRoute
from safe4c.web.ratelimit import platform_check

router = APIRouter(prefix="/api/v1", tags=["platform"], route_class=ApiRoute)

# The events an order sends (takedowns/rules/lifecycle.py names them on its moves), and the test event.
ORDER_EVENTS = {
    "takedown.issued": "A new order for your platform.",
    "takedown.escalated": "A warning step was reached (Kepmen 522/2024): see data.escalation.",
    "takedown.upheld": "Your dispute was rejected: the order stands with a new deadline.",
    "takedown.withdrawn": "The order was withdrawn: nothing more to do.",
}
SIGNATURE_TEXT = ("t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" under your signing secret>; during a "
                  "secret rotation's grace period a second v1 made with the previous secret. Accept the event when "
                  "any v1 matches and t is within 5 minutes of your clock.")


class WebhookDelivery(BaseModel):
    id: str = Field(description="The event id: the Safe4c-Delivery header and the body's id.")
    type: str = Field(description="takedown.issued, takedown.escalated, takedown.upheld, takedown.withdrawn or "
                                  "webhook.test.")
    test: bool = Field(description="A test event: no order, counted nowhere.")
    state: Literal["pending", "delivered", "failed"] = Field(
        description="pending: not yet answered 2xx, retried on the schedule (a test event is tried once); "
                    "failed: safe4c gave up.")
    created_at: datetime
    attempts: int
    last_attempt_at: datetime | None
    last_status: int | None = Field(description="Your endpoint's HTTP status at the last attempt.")
    last_error: str | None = Field(description="Why the last attempt failed: HTTP <status>, or the kind of network "
                                               "error (e.g. ConnectError, ReadTimeout, AddressRefused).")
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    gave_up_at: datetime | None


class WebhookSettings(BaseModel):
    url: str | None = Field(description="Where events are sent; null: no webhook (pull the orders instead).")
    previous_secret_valid_until: datetime | None = Field(
        description="After a secret rotation: deliveries are signed with the previous secret too until then.")
    deliveries: list[WebhookDelivery] = Field(description="Your latest 20 deliveries, newest first.")


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(max_length=platforms.MAX_URL,
                            description="https:// on a public address (checked now and at every delivery); null "
                                        "removes the webhook.")


class SecretRotation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grace_hours: float = Field(platforms.DEFAULT_GRACE_HOURS, ge=0, le=platforms.MAX_GRACE_HOURS,
                               description="How long the previous secret keeps signing too (0: stop at once).")


class NewSecret(BaseModel):
    secret: str = Field(description="The new signing secret, shown once: keep it secret.")
    previous_secret_valid_until: datetime | None


def _settings(uow, platform_id: int) -> dict:
    return {**platforms.webhook_settings(uow=uow, platform_id=platform_id),
            "deliveries": webhooks.deliveries_for_platform(uow=uow, platform_id=platform_id)}


@router.get("/webhook", response_model=WebhookSettings, responses=UNAUTHORIZED,
            summary="Your webhook: its address, the secret rotation in progress, the latest deliveries")
def get_webhook(uow: ReadingUowDep, platform: Annotated[PlatformPrincipal, Allowed("platform.webhook.view")]):
    return _settings(uow, platform.id)


@router.put("/webhook", response_model=WebhookSettings, responses=UNAUTHORIZED,
            summary="Change your webhook address (https, public address) or remove it (null)")
def put_webhook(body: WebhookUpdate, uow: UowDep,
                platform: Annotated[PlatformPrincipal, Allowed("platform.webhook.manage")]):
    platforms.set_webhook_url(uow=uow, platform_id=platform.id, url=body.url)
    return _settings(uow, platform.id)


@router.post("/webhook/secret", response_model=NewSecret, responses=UNAUTHORIZED,
             summary="Rotate your signing secret; the previous one keeps signing too for grace_hours")
def rotate_secret(uow: UowDep, platform: Annotated[PlatformPrincipal, Allowed("platform.webhook.manage")],
                  body: SecretRotation | None = None):
    rotated = platforms.rotate_webhook_secret(uow=uow, platform_id=platform.id,
                                              grace_hours=(body or SecretRotation()).grace_hours)
    return {"secret": rotated.secret, "previous_secret_valid_until": rfc3339(rotated.previous_valid_until)}


@router.post("/webhook/test", status_code=202, response_model=WebhookDelivery,
             responses={**UNAUTHORIZED,
                        409: {"description": "Your platform has no webhook address"},
                        429: {"description": "More than 5 test events in a minute"}},
             summary="Send a test event (webhook.test) to your webhook: signed like every event, counted nowhere")
def test_event(request: Request, uow: UowDep,
               platform: Annotated[PlatformPrincipal, Allowed("platform.webhook.manage")]):
    return webhooks.send_test_event(uow=uow, platform_id=platform.id,
                                    rate=platform_check(request, webhooks.TEST_SCOPE, platform.id))


@router.get("/webhook/deliveries/{delivery_id}", response_model=WebhookDelivery,
            responses={**UNAUTHORIZED, 404: {"description": "No such delivery for this platform"}},
            summary="One delivery and its outcome (e.g. of a test event)")
def get_delivery(delivery_id: Annotated[str, Path(max_length=36)], uow: ReadingUowDep,
                 platform: Annotated[PlatformPrincipal, Allowed("platform.webhook.view")]):
    return webhooks.delivery_for_platform(uow=uow, platform_id=platform.id, event_id=delivery_id)


# --- what safe4c sends: the OpenAPI 3.1 "webhooks" section -------------------------------------------------

class OrderWebhookEvent(BaseModel):
    """A takedown order event: ``data`` is exactly the order as GET /api/v1/takedowns/{id} answers it."""

    model_config = ConfigDict(json_schema_mode_override="serialization")  # the order's one schema, as answered

    id: str = Field(description="The event id, the same on every retry (also the Safe4c-Delivery header): use it "
                                "to drop duplicates.")
    type: Literal[tuple(ORDER_EVENTS)]  # type: ignore[valid-type]
    created_at: datetime
    data: Takedown


class TestEventData(BaseModel):
    test: Literal[True]


class TestEvent(BaseModel):
    """A test event (POST /api/v1/webhook/test): no order, nothing to do but answer 2xx."""

    model_config = ConfigDict(json_schema_mode_override="serialization")

    id: str
    type: Literal["webhook.test"]
    created_at: datetime
    data: TestEventData


Signature = Annotated[str, Header(alias=signing.SIGNATURE_HEADER, description=SIGNATURE_TEXT)]
EventType = Annotated[str, Header(alias=signing.EVENT_HEADER, description="The event type, as in the body's type.")]
DeliveryId = Annotated[str, Header(alias=signing.DELIVERY_HEADER, description="The event id, as in the body's id.")]
RECEIVER = {"2XX": {"description": "Received (answer within 10 s, do the work afterwards)"},
            "default": {"description": "Anything else, or no answer: retried on the schedule for 72 hours "
                                       "(a test event: not retried)"}}


def _order_receiver(event: OrderWebhookEvent, signature: Signature, event_type: EventType, delivery: DeliveryId) -> None:
    """Documentation only: what your endpoint receives."""


def _test_receiver(event: TestEvent, signature: Signature, event_type: EventType, delivery: DeliveryId) -> None:
    """Documentation only: what your endpoint receives."""


def install(app: FastAPI) -> None:
    app.include_router(router)
    for name, text in ORDER_EVENTS.items():
        app.webhooks.add_api_route(name, _order_receiver, methods=["POST"], summary=text, responses=RECEIVER,
                                   operation_id=f"webhook_{name.replace('.', '_')}",
                                   description="POSTed to your webhook address, signed (Safe4c-Signature).")
    app.webhooks.add_api_route(webhooks.TEST_EVENT, _test_receiver, methods=["POST"], responses=RECEIVER,
                               operation_id="webhook_test", summary="A test event you asked for: no order",
                               description="POSTed to your webhook address, signed like every event.")
