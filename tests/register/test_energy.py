"""Energy and emissions per use with EcoLogits' methodology, from the configuration."""

from __future__ import annotations

import pytest
from pydantic import HttpUrl
from registerkit import EntryFactory

from proxy.register.energy import check_zones, estimate_energy, with_energy, zone_for_hosting
from proxy.settings import Hosting, Settings, UpstreamSettings


def upstream(**changes: object) -> UpstreamSettings:
    fields: dict[str, object] = {
        "name": "local-llm",
        "base_url": HttpUrl("http://127.0.0.1:9/v1"),
        "models": ("mistral-small",),
        "hosting": Hosting.LOCAL,
        "params_billion": {"mistral-small": 24.0},
    }
    fields.update(changes)
    return UpstreamSettings(**fields)  # type: ignore[arg-type]


def test_more_tokens_and_bigger_models_cost_more() -> None:
    small = estimate_energy(params_billion=8, output_tokens=200)
    longer = estimate_energy(params_billion=8, output_tokens=400)
    bigger = estimate_energy(params_billion=70, output_tokens=200)
    assert 0 < small.wh < longer.wh and small.wh < bigger.wh
    assert longer.wh == pytest.approx(2 * small.wh, rel=0.05)
    assert estimate_energy(params_billion=8, output_tokens=0).wh == 0


def test_carbon_intensity_scales_usage_emissions() -> None:
    french = estimate_energy(params_billion=24, output_tokens=500, zone="FRA")
    world = estimate_energy(params_billion=24, output_tokens=500, zone="WOR")
    assert french.wh == world.wh and french.gco2e < world.gco2e
    clean = estimate_energy(params_billion=24, output_tokens=500, gco2_per_kwh=0)
    dirty = estimate_energy(params_billion=24, output_tokens=500, gco2_per_kwh=1000)
    # usage emissions are energy x intensity (1000 g/kWh is 1 g per Wh); embodied ones are not
    assert dirty.gco2e - clean.gco2e == pytest.approx(dirty.wh, rel=1e-6)


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="zone électrique inconnue"):
        estimate_energy(params_billion=8, output_tokens=10, zone="XXX")
    with pytest.raises(ValueError, match="XXX"):
        check_zones([upstream(electricity_zone="XXX")])
    check_zones([upstream(electricity_zone="DEU")])


def test_zone_follows_hosting() -> None:
    assert [zone_for_hosting(h) for h in Hosting] == ["FRA", "FRA", "EEE", "WOR"]


def test_entry_gets_energy_when_the_model_size_is_configured(entry_factory: EntryFactory) -> None:
    settings = Settings(upstreams=(upstream(),))
    entry = entry_factory(routed_model="mistral-small", completion_tokens=300, duration_ms=4000)
    filled = with_energy(entry, settings)
    expected = estimate_energy(params_billion=24, output_tokens=300, latency_s=4.0)
    assert (filled.energy_wh, filled.gco2e) == (expected.wh, expected.gco2e)
    unknown = entry_factory(routed_model="demo", completion_tokens=300)
    assert with_energy(unknown, settings).energy_wh is None
    no_tokens = entry_factory(routed_model="mistral-small", completion_tokens=None)
    assert with_energy(no_tokens, settings).energy_wh is None
