// Statistics per service and month (never per agent): charts (Chart.js, served from the package)
// and the same figures as tables, which screen readers and exports read.
import { $, fill, getJson, number, options, query, report } from "./core.js";
import { monthLabel } from "./register.js";

const COLOURS = ["#000091", "#c9191e", "#18753c", "#b34000", "#6a6af4", "#009081", "#a558a0", "#716043"];
const charts = {};

function draw(id, config) {
  charts[id]?.destroy();
  const Chart = window.Chart;
  if (!Chart) return;
  Chart.defaults.color = "#1e1e1e";
  config.options = { animation: false, responsive: true, maintainAspectRatio: false,
    plugins: { legend: { labels: { color: "#1e1e1e" } } }, ...config.options };
  charts[id] = new Chart($(id), config);
}

function byMonth(rows, months, services, value) {
  return services.map((service, i) => ({
    label: service,
    backgroundColor: COLOURS[i % COLOURS.length],
    data: months.map((m) => rows.filter((r) => r.service === service && r.mois === m)
      .reduce((sum, r) => sum + value(r), 0)),
  }));
}

function bars(id, entries, label, colour, horizontal = false) {
  draw(id, { type: "bar", data: { labels: entries.map(([k]) => k),
    datasets: [{ label, data: entries.map(([, v]) => v), backgroundColor: colour }] },
    options: { indexAxis: horizontal ? "y" : "x", plugins: { legend: { display: false } } } });
}

function drawAll(stats) {
  const rows = stats.par_service_et_mois;
  const months = [...new Set(rows.map((r) => r.mois))].sort();
  const services = [...new Set(rows.map((r) => r.service))].sort();
  const labels = months.map(monthLabel);
  draw("graph-usages", { type: "bar", data: { labels, datasets: byMonth(rows, months, services, (r) => r.usages) },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } });
  bars("graph-refus", Object.entries(stats.total.refus_par_regle), "refus", COLOURS[1], true);
  bars("graph-donnees", Object.entries(stats.total.donnees_retirees), "données retirées", COLOURS[0]);
  const perMonth = (key) => months.map((m) => rows.filter((r) => r.mois === m).reduce((s, r) => s + r[key], 0));
  draw("graph-energie", { type: "bar", data: { labels, datasets: [
    { label: "énergie (Wh)", data: perMonth("energie_wh"), backgroundColor: COLOURS[2] },
    { label: "émissions (g CO2e)", data: perMonth("emissions_gco2e"), backgroundColor: COLOURS[3], yAxisID: "y1" },
  ] }, options: { scales: { y: { beginAtZero: true, title: { display: true, text: "Wh" } },
    y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
      title: { display: true, text: "g CO2e" } } } } });
}

function tables(stats) {
  const removed = (t) => Object.entries(t.donnees_retirees).map(([k, v]) => `${k} : ${v}`).join(", ") || "aucune";
  fill("stats", stats.par_service_et_mois, ["service", (r) => monthLabel(r.mois), "usages", "transmis", "bloques",
    "echoues", removed, (t) => number.format(t.energie_wh), (t) => number.format(t.emissions_gco2e)]);
  const pairs = (object) => Object.entries(object).map(([k, v]) => ({ k, v }));
  fill("stats-refus", pairs(stats.total.refus_par_regle), ["k", "v"]);
  fill("stats-observees", pairs(stats.total.regles_observees), ["k", "v"]);
  fill("stats-donnees", pairs(stats.total.donnees_retirees), ["k", "v"]);
  fill("stats-modeles", stats.total.modeles, ["modele", (m) => m.hebergement || m.amont || "—", "usages"]);
  fill("stats-taches", pairs(stats.total.taches), [(p) => stats.taches_libelles[p.k] || p.k, "v"]);
}

export async function loadStats() {
  const stats = await getJson(`/stats?${query("filtres-stats")}`);
  options("s-service", stats.services);
  const t = stats.total;
  $("stats-periode").textContent = t.usages
    ? `${number.format(t.usages)} usage(s) : ${number.format(t.transmis)} transmis, ${number.format(t.bloques)} bloqué(s), `
      + `${number.format(t.echoues)} échoué(s) ; ${number.format(t.energie_wh)} Wh, ${number.format(t.emissions_gco2e)} g CO2e.`
    : "Aucun usage sur cette période.";
  tables(stats);
  drawAll(stats);
}

export function setupStats() {
  $("filtres-stats").addEventListener("submit", (event) => { event.preventDefault(); loadStats().catch(report); });
}
