"""The iceberg (pure): children expected to be harmed in a year against the children reported.

expected = children aged 12-17 x the share of them who use the internet x the yearly prevalence of clear online
sexual exploitation (2% by default: Disrupting Harm in Indonesia, ECPAT, INTERPOL and UNICEF, 2022). The ratio
expected / reported says how many children go unreported for each one reported; a province whose count is
suppressed (1 to 9) shows no ratio, only that it is large.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREVALENCE = 0.02
PREVALENCE_SOURCE = ("Disrupting Harm in Indonesia: Evidence on online child sexual exploitation and abuse "
                     "(ECPAT, INTERPOL, UNICEF, 2022)")


@dataclass(frozen=True)
class IcebergRow:
    code: str
    name: str
    children: int | None  # aged 12-17; None when the data file has no figure
    internet_share: float | None
    expected: float | None
    reported: int | None  # None: suppressed
    ratio: float | None  # expected per child reported


def expected_harmed(children: int | None, internet_share: float | None, prevalence: float) -> float | None:
    if children is None or internet_share is None:
        return None
    return children * internet_share * prevalence


def row(code: str, name: str, *, children: int | None, internet_share: float | None, prevalence: float,
        reported: int | None) -> IcebergRow:
    expected = expected_harmed(children, internet_share, prevalence)
    ratio = expected / reported if expected is not None and reported else None
    return IcebergRow(code, name, children, internet_share, expected, reported, ratio)


def ranked(rows: list[IcebergRow]) -> list[IcebergRow]:
    """The most hidden first: highest ratio; rows without a ratio (suppressed or no data) last, by name."""
    return sorted(rows, key=lambda r: (r.ratio is None, -(r.ratio or 0), r.name))
