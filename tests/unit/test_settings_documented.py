"""Every setting is documented in docs/settings.md with its environment variable."""

from __future__ import annotations

from pathlib import Path

from safe4c.kernel.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_every_setting_has_help_and_is_documented():
    text = DOC.read_text()
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no help line"
        assert f"SAFE4C_{name.upper()}" in text, f"SAFE4C_{name.upper()} is missing from docs/settings.md"
