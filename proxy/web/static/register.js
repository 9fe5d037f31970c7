// The RSSI's register browser: filters, server-side pages, row detail, integrity, exports.
import { $, api, cell, getJson, number, options, query, report } from "./core.js";

let page = 1;

function filters() {
  const params = query("filtres");
  if (params.has("month") && (params.has("start") || params.has("end"))) params.delete("month");
  return params;
}

async function loadChoices() {
  const choices = await getJson("/register/choices");
  options("f-mois", choices.months.map((m) => ({ id: m, label: monthLabel(m) })));
  options("f-service", choices.services);
  options("f-modele", choices.models);
  options("f-decision", choices.decisions);
  options("f-route", choices.endpoints);
  options("f-tache", choices.tasks, 2);
  options("f-regle", choices.rules);
}

export function monthLabel(month) {
  const [year, m] = month.split("-").map(Number);
  return new Date(Date.UTC(year, m - 1, 15)).toLocaleDateString("fr-FR", { month: "long", year: "numeric",
    timeZone: "Europe/Paris" });
}

function removedText(removed) {
  return removed.map((r) => `${r.type} : ${r.nombre}`).join(", ") || "aucune";
}

async function loadPage() {
  const params = filters();
  params.set("page", page);
  params.set("per_page", 25);
  const data = await getJson(`/register/entries?${params}`);
  const body = $("lignes").querySelector("tbody");
  body.replaceChildren();
  for (const entry of [...data.entries].reverse()) body.appendChild(entryRow(entry));  // newest first
  if (!data.entries.length) {
    const row = document.createElement("tr");
    cell(row, "Aucune ligne ne correspond à ces filtres.").colSpan = 9;
    body.appendChild(row);
  }
  $("compte-lignes").textContent = `${number.format(data.matched)} ligne(s) correspondent aux filtres.`;
  $("page-info").textContent = `Page ${data.page} sur ${data.pages}`;
  $("page-prec").disabled = data.page <= 1;
  $("page-suiv").disabled = data.page >= data.pages;
}

function entryRow(entry) {
  const row = document.createElement("tr");
  row.className = `decision-${entry.decision}`;
  const first = cell(row, "");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "lien";
  button.textContent = entry.seq;
  button.setAttribute("aria-label", `Détail de la ligne ${entry.seq}`);
  button.addEventListener("click", () => showDetail(entry.seq).catch(report));
  first.appendChild(button);
  const model = entry.routed_model && entry.routed_model !== entry.model
    ? `${entry.model} → ${entry.routed_model}` : entry.model;
  for (const text of [entry.date, entry.user, entry.service, entry.route, model,
    `${entry.decision_label} (${entry.status})`, removedText(entry.removed), entry.task_label]) cell(row, text);
  return row;
}

const DETAIL = [
  ["date", "Date (heure de Paris)"], ["ts", "Horodatage UTC"], ["request_id", "Identifiant de requête"],
  ["user", "Utilisateur"], ["service", "Service"], ["route", "Route"], ["task_label", "Type de tâche"],
  ["model", "Modèle demandé"], ["routed_model", "Modèle utilisé"], ["upstream", "Serveur amont"],
  ["decision_label", "Décision"], ["status", "Statut HTTP"], ["error_code", "Code d'erreur"],
  ["removed", "Données retirées"], ["rules", "Règles appliquées"], ["observed_rules", "Règles en observation"],
  ["policy_sha256", "Version de la politique (empreinte)"], ["duration_ms", "Durée (ms)"],
  ["prompt_tokens", "Jetons en entrée"], ["completion_tokens", "Jetons en sortie"],
  ["energy_wh", "Énergie estimée (Wh)"], ["gco2e", "Émissions estimées (g CO2e)"], ["hash", "Empreinte de la ligne"],
];

function detailText(key, value) {
  if (key === "removed") return removedText(value);
  if (Array.isArray(value)) return value.join(", ") || "aucune";
  if (typeof value === "number" && !Number.isInteger(value)) return number.format(value);
  return value === null || value === undefined ? "—" : String(value);
}

async function showDetail(seq) {
  const detail = await getJson(`/register/entries/${seq}`);
  const list = $("detail-contenu");
  list.replaceChildren();
  for (const [key, label] of DETAIL) {
    const term = document.createElement("dt");
    term.textContent = label;
    const value = document.createElement("dd");
    value.textContent = detailText(key, detail[key]);
    list.append(term, value);
  }
  $("detail-titre").textContent = `Détail de la ligne n° ${seq}`;
  $("detail").showModal();
}

async function verify() {
  const result = await getJson("/register/verify");
  const status = $("verification");
  status.className = !result.ok ? "ko" : result.unsealed ? "attention" : "ok";
  status.textContent = result.status;
  if (!result.ok) status.textContent += " " + result.problems.map((p) => p.message).join(" ; ");
}

async function exportRegister(fmt) {
  const params = filters();
  params.set("fmt", fmt);
  const blob = await (await api(`/register/export?${params}`)).blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `registre-gardefou.${fmt}`;
  link.click();
  URL.revokeObjectURL(link.href);
}

export async function loadRegister() {
  await loadChoices();
  page = 1;
  await Promise.all([loadPage(), verify()]);
}

export function setupRegister() {
  $("filtres").addEventListener("submit", (event) => {
    event.preventDefault();
    page = 1;
    loadPage().catch(report);
  });
  $("filtres").addEventListener("reset", () => setTimeout(() => { page = 1; loadPage().catch(report); }));
  $("page-prec").addEventListener("click", () => { page -= 1; loadPage().catch(report); });
  $("page-suiv").addEventListener("click", () => { page += 1; loadPage().catch(report); });
  $("detail-fermer").addEventListener("click", () => $("detail").close());
  $("verifier").addEventListener("click", () => verify().catch(report));
  $("exporter-csv").addEventListener("click", () => exportRegister("csv").catch(report));
  $("exporter-jsonl").addEventListener("click", () => exportRegister("jsonl").catch(report));
}
