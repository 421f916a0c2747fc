"""Synthetic reports at scale (`safe4c demo --reports N`): what one report and its history look like, drawn from
seeded distributions. Benign and made up: the stories are the demo's general sentences, the accounts invented.

A report is spread over the 38 provinces by population (``PROVINCE_POPULATION``) and over each province's
regencies; over ``months`` months with a rising trend and an evening peak; across situations, platforms, age
bands, gender, disability and reporter roles. Its priority, reasons and deadline are what the triage rules
give for its facts (``reports/rules/triage.py``), so every bulk report is one intake would have stored. Its
status follows the allowed path (new, in review, actioned, closed) with the first action usually within the
priority's deadline; actioned reports about content get takedown orders whose compliance depends on the
platform: most on time, some late (with the escalation steps that fell due), a few disputed or withdrawn, and
a few still open (escalated as far as is due by now).

Unique values are random whatever the seed (public ids; the follow-up hash, of a code nobody holds), so a
second run on the same database adds new reports; the seed decides everything else.

This module only builds rows (tuples in the column order of ``REPORT_COLUMNS`` and friends); ``demo/bulk.py``
writes them. It reads no database.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from safe4c.demo.reports import NAME_PARTS, PLATFORMS_BY_SITUATION, STORIES
from safe4c.kernel import regions
from safe4c.kernel.clock import rfc3339
from safe4c.kernel.crypto import Sealer
from safe4c.reports.rules.escalation import stored
from safe4c.reports.rules.triage import TriageFacts, triage
from safe4c.takedowns.rules import deadlines, targets

# Population by province in thousands, BPS mid-2023 projections rounded (Papua's six provinces after the 2022
# split). Only weights for synthetic data; the statistics area ships the official figures with their source.
PROVINCE_POPULATION = {
    "11": 5482, "12": 15387, "13": 5758, "14": 6643, "15": 3679, "16": 8744, "17": 2087, "18": 9314, "19": 1531,
    "21": 2152, "31": 10673, "32": 49860, "33": 37541, "34": 3737, "35": 41528, "36": 12308, "51": 4363,
    "52": 5560, "53": 5570, "61": 5623, "62": 2742, "63": 4189, "64": 3989, "65": 727, "71": 2663, "72": 3087,
    "73": 9363, "74": 2738, "75": 1214, "76": 1467, "81": 1903, "82": 1342, "91": 1062, "92": 568, "93": 537,
    "94": 1452, "95": 1449, "96": 627,
}
SITUATION_WEIGHTS = {"grooming": 25, "sextortion": 20, "image_sharing": 15, "unwanted_content": 14, "gaming": 8,
                     "abuse_material": 7, "live_streaming": 4, "trafficking": 4, "other": 3}
AGE_BANDS = {"under_10": 5, "10_12": 15, "13_15": 40, "16_17": 30, "unknown": 10}
GENDERS = {"girl": 62, "boy": 30, "prefer_not": 8}
DISABILITY = {"no": 78, "unknown": 17, "yes": 5}
ROLES = {"child": 40, "parent": 25, "other_child": 17, "other_adult": 10, "teacher": 8}
WHEN = {"now": 5, "today": 20, "this_week": 35, "this_month": 25, "earlier": 15}
CONTACT = {"none": 60, "whatsapp": 25, "email": 10, "phone": 5}
HOURS = [2, 1, 1, 1, 1, 2, 3, 4, 4, 4, 5, 5, 5, 5, 5, 6, 7, 8, 9, 10, 10, 9, 7, 4]  # reports by hour (WIB)
GROWTH = 0.6  # the last month receives 60% more reports than the first: reporting grows as it becomes known
ON_TIME = {"P1": 0.9, "P2": 0.85, "P3": 0.8, "P4": 0.75}  # first action within the triage deadline
# Situations about content that can be taken down: the order's category (csam: urgent, 4 hours) and target.
ORDER_KIND = {"abuse_material": ("csam", "url"), "image_sharing": ("csam", "url"), "live_streaming": ("csam", "url"),
              "sextortion": ("csam", "account"), "trafficking": ("other", "account"), "grooming": ("other", "account"),
              "gaming": ("other", "account"), "unwanted_content": ("other", "account")}
# A platform's habits: (share removed on time, share never removed, typical hours to remove when on time)
HABITS = {"instagram": (0.92, 0.005, 0.3), "facebook": (0.9, 0.005, 0.35), "whatsapp": (0.85, 0.01, 0.4),
          "youtube": (0.93, 0.005, 0.25), "tiktok": (0.88, 0.01, 0.3), "telegram": (0.55, 0.08, 0.6),
          "x": (0.6, 0.05, 0.55), "michat": (0.45, 0.1, 0.7), "line": (0.7, 0.03, 0.5), "discord": (0.65, 0.04, 0.5),
          "snapchat": (0.85, 0.01, 0.4), "roblox": (0.8, 0.02, 0.4), "mobile_legends": (0.7, 0.03, 0.5),
          "free_fire": (0.7, 0.03, 0.5)}
NOTES = {"in_review": "Sedang ditelaah analis.", "actioned": "Permintaan penurunan konten dikirim ke platform.",
         "closed": "Laporan ditindaklanjuti; kasus ditutup.", "closed_no_action": "Ditelaah; tidak ada tindakan lanjut."}
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
LEGAL_BASIS = "Permenkominfo 5/2020 Art. 13-15; UU ITE Art. 27(1), 40(2b)"

REPORT_COLUMNS = ["id", "public_id", "channel", "received_at", "language", "situations", "platforms",
                  "accounts_sealed", "incident_when", "province_code", "regency_code", "age_band", "gender",
                  "disability", "reporter_role", "urgent_signals", "contact_method", "contact_sealed",
                  "consent_services", "story_sealed", "followup_hash", "status", "priority", "triage_reasons",
                  "deadline_at", "triaged_at", "updated_at"]
EVENT_COLUMNS = ["report_id", "at", "actor_id", "kind", "from_status", "to_status", "note_sealed"]
ORDER_COLUMNS = ["id", "public_id", "platform_id", "report_id", "target_type", "target_value", "category",
                 "legal_basis", "urgent", "status", "issued_by", "issued_at", "deadline_at", "preserve_until",
                 "acknowledged_at", "removed_at", "disputed_at", "dispute_reason_sealed", "dispute_outcome",
                 "closed_at", "escalation_level", "escalated_at", "updated_at", "target_key"]
ORDER_EVENT_COLUMNS = ["order_id", "at", "kind", "level", "actor_staff_id", "actor_platform_id", "detail"]


class Weighted:
    """Draws keys by weight in O(log n) (random.choices rebuilds its table on every call)."""

    def __init__(self, weights: dict):
        self.keys = list(weights)
        self.cum = list(itertools.accumulate(weights.values()))

    def draw(self, rng: random.Random):
        return self.keys[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


@dataclass
class Batch:
    """One chunk's rows. Orders are numbered within the batch (``order_ids`` gives them ids at write time)."""

    reports: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    orders: list[list] = field(default_factory=list)  # ORDER_COLUMNS, the id left None
    order_events: list[tuple] = field(default_factory=list)  # (order index in the batch, *ORDER_EVENT_COLUMNS[1:])
    open_orders: list[tuple] = field(default_factory=list)  # (order index, next level, when it is due)


@dataclass(frozen=True)
class Config:
    now: datetime
    months: int
    deadline_minutes: dict
    takedown_hours: dict
    escalation_hours: list
    preservation_days: int
    platform_ids: dict  # taxonomy code -> platforms.id
    actor_id: int | None  # the staff member who moves statuses and issues orders


class Generator:
    def __init__(self, config: Config, *, seed: int, sealer: Sealer, ts: Callable):
        self.c = config
        self.rng = random.Random(seed)
        self.seal = sealer.seal
        self.ts = ts  # a datetime as the driver takes it (SQLite: text)
        self.provinces = Weighted(PROVINCE_POPULATION)
        self.regencies = {code: Weighted(self._regency_weights(code)) for code in PROVINCE_POPULATION}
        self.situations = Weighted(SITUATION_WEIGHTS)
        self.ages, self.genders, self.disability = Weighted(AGE_BANDS), Weighted(GENDERS), Weighted(DISABILITY)
        self.roles, self.when, self.contact, self.hours = Weighted(ROLES), Weighted(WHEN), Weighted(CONTACT), \
            Weighted(dict(enumerate(HOURS)))
        self.days = int(config.months * 30.44)
        self._triaged: dict[tuple, tuple[str, str, int]] = {}
        self.start = (config.now - timedelta(days=self.days)).replace(hour=0, minute=0, second=0, microsecond=0)

    def _regency_weights(self, province: str) -> dict:
        # Uneven but fixed: the first-listed regencies and the cities (7x.xx codes) get more reports.
        rng = random.Random(province)
        return {r.code: rng.lognormvariate(0, 0.8) * (2.0 if r.code[3] == "7" else 1.0)
                for r in regions.regencies(province)}

    def _received(self) -> datetime:
        u = self.rng.random()
        x = ((1 + GROWTH * (2 + GROWTH) * u) ** 0.5 - 1) / GROWTH  # inverse of a density rising linearly
        at = self.start + timedelta(days=int(x * self.days), hours=self.hours.draw(self.rng) - 7,
                                    seconds=self.rng.randrange(3600))
        if at >= self.c.now:  # later today: some time in the last day instead
            at = self.c.now - timedelta(seconds=self.rng.uniform(60, 86400))
        return at

    def report(self, report_id: int, batch: Batch) -> None:
        rng = self.rng
        situation = self.situations.draw(rng)
        situations = [situation]
        if situation == "sextortion" and rng.random() < 0.3:
            situations.append("grooming")
        elif situation == "image_sharing" and rng.random() < 0.15:
            situations.append("sextortion")
        choices = PLATFORMS_BY_SITUATION[situation]
        platforms = [choices[min(int(rng.expovariate(0.8)), len(choices) - 1)]]
        if rng.random() < 0.2:
            other = rng.choice(choices)
            if other not in platforms:
                platforms.append(other)
        province = self.provinces.draw(rng)
        age, disability, role = self.ages.draw(rng), self.disability.draw(rng), self.roles.draw(rng)
        urgent = []
        if situation == "sextortion" and rng.random() < 0.35:
            urgent.append("threat_deadline")
        if situation == "grooming" and rng.random() < 0.08:
            urgent.append("meeting_planned")
        if situation == "live_streaming" and rng.random() < 0.2:
            urgent.append("live_now")
        if rng.random() < 0.02:
            urgent.append("self_harm")
        accounts = self._accounts() if rng.random() < 0.65 else []
        received = self._received()
        priority, reasons, minutes = self._triage(tuple(situations), tuple(urgent), age, disability, bool(accounts))
        contact = self.contact.draw(rng)
        contact_value = (None if contact == "none" else f"pelapor{report_id}@contoh.id" if contact == "email"
                         else f"08{rng.randint(1100000000, 9999999999)}")
        story = rng.choice(STORIES[situation]).format(platform=platforms[0].replace("_", " ").title())
        status, updated = self._history(report_id, received, priority, minutes, situation, platforms, batch)
        ts = self.ts
        batch.reports.append((
            report_id, str(uuid.uuid4()), "web" if rng.random() < 0.75 else "api",
            ts(received), "id" if rng.random() < 0.97 else "en", json.dumps(situations), json.dumps(platforms),
            self.seal(json.dumps(accounts), context="report.accounts") if accounts else None,
            self.when.draw(rng), province, self.regencies[province].draw(rng), age, self.genders.draw(rng),
            disability, role, json.dumps(urgent), contact, self.seal(contact_value, context="report.contact"),
            rng.random() < 0.6, self.seal(story, context="report.story"), secrets.token_hex(32), status,
            priority, reasons, ts(received + timedelta(minutes=minutes)), ts(received), ts(updated)))

    def _triage(self, *facts) -> tuple[str, str, int]:
        """(priority, the stored reasons as JSON, deadline minutes) as intake's triage gives them; a few hundred
        combinations of facts, so each is triaged once."""
        found = self._triaged.get(facts)
        if found is None:
            situations, urgent, age, disability, has_identifiers = facts
            result = triage(TriageFacts(situations=situations, urgent_signals=urgent, age_band=age,
                                        disability=disability, has_identifiers=has_identifiers),
                            received_at=EPOCH, deadline_minutes=self.c.deadline_minutes)
            minutes = int((result.deadline_at - EPOCH).total_seconds() // 60)
            found = self._triaged[facts] = (result.priority, json.dumps([stored(r) for r in result.reasons]), minutes)
        return found

    def _accounts(self) -> list[str]:
        rng = self.rng
        found = [f"@{rng.choice(NAME_PARTS)}{rng.choice(['.', '_', ''])}{rng.randint(10, 999999)}"
                 for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.3:
            found.append(f"08{rng.choice(['12', '13', '21', '57', '96'])}{rng.randint(10000000, 99999999)}")
        return found

    def _history(self, report_id, received, priority, minutes, situation, platforms, batch) -> tuple[str, datetime]:
        """The report's status changes up to now: (final status, last change)."""
        rng, now = self.rng, self.c.now
        if rng.random() < ON_TIME[priority]:
            delay = minutes * rng.uniform(0.05, 1.0)
        else:
            delay = minutes * (1 + rng.expovariate(1 / 1.5))
        steps = [("in_review", received + timedelta(minutes=delay))]
        if situation in ORDER_KIND and rng.random() < 0.5:
            steps.append(("actioned", steps[-1][1] + timedelta(minutes=rng.uniform(10, 24 * 60))))
            steps.append(("closed", steps[-1][1] + timedelta(days=rng.uniform(1, 30))))
        elif rng.random() < 0.85:
            steps.append(("closed", steps[-1][1] + timedelta(hours=rng.uniform(2, 24 * 14))))
        status, last = "new", received
        for to, at in steps:
            if at >= now:
                break
            note = NOTES["closed_no_action" if to == "closed" and status == "in_review" else to]
            batch.events.append((report_id, self.ts(at), self.c.actor_id, "status", status, to,
                                 self.seal(note, context="report.note")))
            status, last = to, at
            if to == "actioned":
                self._orders(report_id, at, situation, platforms, batch)
        return status, last

    def _orders(self, report_id, at, situation, platforms, batch) -> None:
        known = [p for p in platforms if p in self.c.platform_ids]
        if not known or self.rng.random() < 0.3:
            return
        for code in known[:1 + (self.rng.random() < 0.15)]:
            self._order(report_id, at, situation, code, batch)

    def _order(self, report_id, issued, situation, code, batch) -> None:
        rng, c, ts = self.rng, self.c, self.ts
        category, target = ORDER_KIND[situation]
        urgent = category == "csam"
        index = len(batch.orders)
        deadline = deadlines.order_deadline(issued, urgent=urgent, hours=c.takedown_hours)
        span = deadline - issued
        on_time, never, typical = HABITS[code]
        platform_id = c.platform_ids[code]
        # One open order per platform and target (takedowns/open_orders.py): the same seed run twice draws the
        # same numbers, so a random suffix keeps targets apart, as ids and follow-up hashes are.
        value = (f"https://{code.replace('_', '')}.example/p/{rng.getrandbits(48):012x}{secrets.token_hex(3)}"
                 if target == "url" else f"@{rng.choice(NAME_PARTS)}_{rng.randint(10, 999999)}{secrets.token_hex(3)}")
        events: list[tuple] = [(index, ts(issued), "issued", None, c.actor_id, None,
                                json.dumps({"urgent": urgent, "category": category}))]
        row = dict(status="issued", acknowledged_at=None, removed_at=None, disputed_at=None, dispute_sealed=None,
                   outcome=None, closed_at=None, level=0, escalated_at=None, updated=issued, deadline=deadline)

        def event(kind, when, *, level=None, staff=False, detail=None):
            events.append((index, ts(when), kind, level, c.actor_id if staff else None,
                           None if staff else platform_id, json.dumps(detail or {})))
            row["updated"] = when

        fate = rng.random()
        if fate < 0.03:  # withdrawn by staff (the target was wrong or already gone)
            plan = [("withdrawn", issued + span * rng.uniform(0.1, 0.6))]
        elif fate < 0.05:  # disputed by the platform: upheld (then removed) or withdrawn
            disputed = issued + span * rng.uniform(0.2, 0.9)
            plan = [("acknowledged", issued + span * 0.1), ("disputed", disputed)]
            plan += ([("dispute_upheld", disputed + timedelta(hours=rng.uniform(2, 48)))] if rng.random() < 0.6
                     else [("withdrawn", disputed + timedelta(hours=rng.uniform(2, 48)))])
        elif fate < 0.05 + never:  # never removed: escalates to the top of the ladder
            plan = [("acknowledged", issued + span * rng.uniform(0.05, 0.5))] if rng.random() < 0.5 else []
        else:
            late = rng.random() >= on_time
            removed = (deadline + span * rng.expovariate(1 / 2.0) + timedelta(minutes=1) if late
                       else issued + span * min(rng.expovariate(1 / typical), 0.98))
            plan = [("acknowledged", issued + (removed - issued) * rng.uniform(0.05, 0.5)), ("removed", removed)]
        if plan and plan[-1][0] == "dispute_upheld":
            upheld = plan[-1][1]
            new_deadline = deadlines.order_deadline(upheld, urgent=urgent, hours=c.takedown_hours)
            plan.append(("removed", upheld + (new_deadline - upheld) * rng.uniform(0.1, 0.9)))
        for kind, when in plan:
            self._escalate_until(when, row, event)
            if when >= c.now:
                break
            if kind == "acknowledged":
                row.update(status="acknowledged", acknowledged_at=when)
                event("acknowledged", when)
            elif kind == "removed":
                row.update(status="removed", removed_at=when, closed_at=when)
                row["acknowledged_at"] = row["acknowledged_at"] or when
                event("removed", when, detail={"within_deadline": when <= row["deadline"],
                                               "minutes": int((when - issued).total_seconds() // 60)})
            elif kind == "disputed":
                row.update(status="disputed", disputed_at=when,
                           dispute_sealed=self.seal("Konten tidak melanggar kebijakan kami.",
                                                    context="takedown.dispute_reason"))
                event("disputed", when)
            elif kind == "dispute_upheld":
                row.update(status="acknowledged", outcome="upheld",
                           deadline=deadlines.order_deadline(when, urgent=urgent, hours=c.takedown_hours))
                event("dispute_upheld", when, staff=True)
            elif kind == "withdrawn":
                row.update(status="withdrawn", closed_at=when,
                           outcome="withdrawn" if row["status"] == "disputed" else row["outcome"])
                event("withdrawn", when, staff=True)
        else:
            self._escalate_until(c.now, row, event)
        if row["status"] in deadlines.ESCALATING_STATUSES:
            nxt = deadlines.next_step(row["deadline"], row["level"], intervals=c.escalation_hours)
            if nxt is not None:
                batch.open_orders.append((index, nxt[0].level, nxt[1]))
        batch.orders.append([
            None, str(uuid.uuid4()), platform_id, report_id, target, value,
            category, LEGAL_BASIS, urgent, row["status"], c.actor_id, ts(issued), ts(row["deadline"]),
            ts(deadlines.preservation_until(issued, days=c.preservation_days)), _ts(ts, row["acknowledged_at"]),
            _ts(ts, row["removed_at"]), _ts(ts, row["disputed_at"]), row["dispute_sealed"], row["outcome"],
            _ts(ts, row["closed_at"]), row["level"], _ts(ts, row["escalated_at"]), ts(row["updated"]),
            targets.target_key(target, value, None, code)])
        batch.order_events.extend(events)

    def _escalate_until(self, until, row, event) -> None:
        """The escalation steps that fell due before ``until`` while the order waited on the platform."""
        while row["status"] in deadlines.ESCALATING_STATUSES:
            nxt = deadlines.next_step(row["deadline"], row["level"], intervals=self.c.escalation_hours)
            if nxt is None or nxt[1] >= min(until, self.c.now):
                return
            step, due = nxt
            at = due + timedelta(seconds=self.rng.uniform(1, 120))  # the worker runs the step just after
            row.update(level=step.level, escalated_at=at)
            event("escalated", at, level=step.level, detail={"step": step.code, "due_at": rfc3339(due)})


def _ts(ts, value):
    return None if value is None else ts(value)
