"""Energy (Wh) and emissions (gCO2e) of one generation, estimated with EcoLogits' methodology.

Uses the `ecologits` package (pure Python, offline: its electricity mixes ship inside it) and only
its impact formulas: energy per output token from the model's active parameter count, GPUs needed to
hold the model's total parameters, server share, data-centre PUE, then the electricity mix of the
hosting zone for usage emissions plus the hardware's embodied emissions. Input (prompt) tokens are
not part of the methodology; an answer without generated tokens (embeddings, refusals) costs nothing.

Configuration that feeds it (per upstream, proposed in proxy/settings.py):
  `params_billion: {model: total parameters in billions}`, `active_params_billion: {model: ...}`
  (mixture-of-experts models; defaults to the total), `electricity_zone` (ISO 3166-1 alpha-3, default
  from `hosting`: local/sovereign -> FRA, eu -> EEE, non_eu -> WOR), `electricity_gco2_per_kwh`
  (overrides the zone's carbon intensity) and `pue` (default 1.2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.impacts.llm import compute_llm_impacts
from ecologits.utils.range_value import RangeValue

from proxy.config_file import ConfigFileError
from proxy.register.entry import RegisterEntry
from proxy.settings import Settings, UpstreamSettings

DEFAULT_PUE = 1.2
ZONE_BY_HOSTING = {"local": "FRA", "sovereign": "FRA", "eu": "EEE", "non_eu": "WOR"}


@dataclass(frozen=True, slots=True)
class EnergyEstimate:
    wh: float
    gco2e: float


def zone_for_hosting(hosting: str) -> str:
    return ZONE_BY_HOSTING.get(str(hosting), "WOR")


def estimate_energy(
    *,
    params_billion: float,
    output_tokens: int,
    zone: str = "FRA",
    active_params_billion: float | None = None,
    gco2_per_kwh: float | None = None,
    pue: float = DEFAULT_PUE,
    latency_s: float | None = None,
) -> EnergyEstimate:
    """Estimate one request; `latency_s` (measured duration) caps the modelled generation time."""
    if output_tokens <= 0:
        return EnergyEstimate(0.0, 0.0)
    mix = electricity_mixes.find_electricity_mix(zone)
    if mix is None:
        raise ValueError(f"zone électrique inconnue : {zone!r} (code ISO 3166-1 alpha-3 attendu)")
    gwp = mix.gwp if gco2_per_kwh is None else gco2_per_kwh / 1000
    impacts = compute_llm_impacts(
        model_active_parameter_count=active_params_billion or params_billion,
        model_total_parameter_count=params_billion,
        output_token_count=output_tokens,
        if_electricity_mix_adpe=mix.adpe,
        if_electricity_mix_pe=mix.pe,
        if_electricity_mix_gwp=gwp,
        if_electricity_mix_wue=mix.wue,
        datacenter_pue=pue,
        datacenter_wue=0.0,
        request_latency=latency_s,
    )
    return EnergyEstimate(wh=_scalar(impacts.energy.value) * 1000, gco2e=_scalar(impacts.gwp.value) * 1000)


def _scalar(value: float | RangeValue) -> float:
    return float(value.mean if isinstance(value, RangeValue) else value)


def estimate_for_upstream(
    upstream: UpstreamSettings, model: str, completion_tokens: int | None, duration_ms: int | None
) -> EnergyEstimate | None:
    """The estimate for one answer of `model` served by `upstream`; None when the configuration
    does not give the model's size or the upstream did not report its generated tokens."""
    params = upstream.params_billion.get(model)
    if params is None or completion_tokens is None:
        return None
    return estimate_energy(
        params_billion=params,
        active_params_billion=upstream.active_params_billion.get(model),
        output_tokens=completion_tokens,
        zone=upstream.electricity_zone or zone_for_hosting(upstream.hosting),
        gco2_per_kwh=upstream.electricity_gco2_per_kwh,
        pue=upstream.pue or DEFAULT_PUE,
        latency_s=duration_ms / 1000 if duration_ms else None,
    )


def check_zones(upstreams: Iterable[UpstreamSettings]) -> None:
    """At start-up: refuse an electricity zone EcoLogits does not know (French message)."""
    for upstream in upstreams:
        zone = upstream.electricity_zone
        if zone is not None and electricity_mixes.find_electricity_mix(zone) is None:
            raise ConfigFileError(
                f"amont {upstream.name!r} : zone électrique inconnue {zone!r} "
                "(code ISO 3166-1 alpha-3 attendu, ex. FRA)"
            )


def with_energy(entry: RegisterEntry, settings: Settings) -> RegisterEntry:
    """The entry with its energy and emissions filled in when the configuration allows it."""
    model = entry.routed_model
    upstream = settings.upstream_for(model) if model else None
    if upstream is None or model is None:
        return entry
    estimate = estimate_for_upstream(upstream, model, entry.completion_tokens, entry.duration_ms)
    if estimate is None:
        return entry
    return dataclasses.replace(entry, energy_wh=estimate.wh, gco2e=estimate.gco2e)
