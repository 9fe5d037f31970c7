// Garde-fou admin pages: every figure comes from the guarded JSON API (/admin/api/...).
// Data is always inserted as text (textContent, never as HTML). The access key stays in sessionStorage.
"use strict";

const KEY = "gardefou.cle";
const $ = (id) => document.getElementById(id);

function headers(extra = {}) {
  const key = sessionStorage.getItem(KEY);
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function api(path, options = {}) {
  const response = await fetch(`/admin/api${path}`, { ...options, headers: headers(options.headers) });
  if (!response.ok) {
    let message = `Erreur ${response.status}`;
    try { message = (await response.json()).error.message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  row.appendChild(td);
  return td;
}

function fill(tableId, rows, columns) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren();
  for (const item of rows) {
    const row = document.createElement("tr");
    for (const column of columns) cell(row, typeof column === "function" ? column(item) : item[column]);
    body.appendChild(row);
  }
  return body;
}

function report(error) { $("erreur").textContent = error.message; }

async function whoami() {
  try {
    const me = await (await api("/whoami")).json();
    $("identite").textContent = `Connecté : ${me.user} (rôles : ${me.roles.join(", ")})`;
    return me.roles;
  } catch (error) {
    $("identite").textContent = "Non identifié.";
    return [];
  }
}

function show(roles) {
  for (const element of document.querySelectorAll("[data-role]")) {
    element.hidden = !element.dataset.role.split(" ").some((role) => roles.includes(role));
  }
}

async function loadRegister() {
  const data = await (await api("/register/entries?limit=50")).json();
  fill("lignes", data.entries.reverse(), ["seq", "ts", "user", "service", "model", "decision", "status",
    (row) => row.entity_counts]);
}

async function verify() {
  const report = await (await api("/register/verify")).json();
  const status = $("verification");
  status.className = report.ok ? "ok" : "ko";
  status.textContent = report.ok
    ? `Registre intègre : ${report.rows} lignes, ${report.checkpoints} points de contrôle.`
    : `${report.problem_count} problème(s) : ` + report.problems.map((p) => p.message).join(" ; ");
}

async function exportRegister(fmt) {
  const blob = await (await api(`/register/export?fmt=${fmt}`)).blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `registre-gardefou.${fmt}`;
  link.click();
  URL.revokeObjectURL(link.href);
}

async function loadStats() {
  const stats = await (await api("/stats")).json();
  const rows = Object.entries(stats.par_service).map(([service, t]) => ({ service, ...t }));
  fill("stats", rows, ["service", "usages", "transmis", "bloques", "echoues",
    (t) => Object.entries(t.donnees_retirees).map(([k, v]) => `${k} : ${v}`).join(", ")]);
}

async function loadPolicy() {
  const policy = await (await api("/policy")).json();
  $("empreinte").textContent = policy.sha256;
  $("yaml").value = policy.yaml;
}

async function validate() {
  const result = await (await api("/policy/validate", { method: "POST", body: $("yaml").value,
    headers: { "Content-Type": "application/yaml" } })).json();
  const list = $("problemes");
  list.replaceChildren();
  const lines = result.valid ? ["Politique valide."] : result.problems;
  for (const line of lines) { const li = document.createElement("li"); li.textContent = line; list.appendChild(li); }
}

async function testText(event) {
  event.preventDefault();
  const body = { service: $("test-service").value, model: $("test-modele").value, text: $("test-texte").value };
  const result = await (await api("/policy/test", { method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json" } })).json();
  const found = result.findings.map((f) => f.label).join(", ") || "aucune donnée personnelle";
  const refusal = result.refusal ? ` — refus : ${result.refusal.message}` : "";
  $("resultat-test").textContent = `Verdict : ${result.verdict} (modèle ${result.model}) ; trouvé : ${found}${refusal}`;
}

async function loadKeys() {
  const data = await (await api("/keys")).json();
  const body = fill("liste-cles", data.keys, ["id", "user", "service", "role", "expires_at", "state"]);
  body.querySelectorAll("tr").forEach((row, index) => {
    const key = data.keys[index];
    if (key.state !== "active") { cell(row, ""); return; }
    const button = document.createElement("button");
    button.textContent = "Révoquer";
    button.addEventListener("click", () => revoke(key.id).catch(report));
    cell(row, "").appendChild(button);
  });
}

async function revoke(id) {
  if (!confirm(`Révoquer la clé ${id} ?`)) return;
  await api(`/keys/${encodeURIComponent(id)}`, { method: "DELETE" });
  await loadKeys();
}

async function createKey(event) {
  event.preventDefault();
  const body = { user: $("nc-user").value, service: $("nc-service").value };
  if ($("nc-expire").value) body.expires = $("nc-expire").value;
  const created = await (await api("/keys", { method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json" } })).json();
  $("nouvelle-cle").textContent = `Clé créée (affichée une seule fois, transmettez-la par un canal sûr) : ${created.key}`;
  await loadKeys();
}

async function refresh() {
  $("erreur").textContent = "";
  const roles = await whoami();
  show(roles);
  const loads = [];
  if (roles.includes("rssi")) loads.push(loadRegister());
  if (roles.includes("rssi") || roles.includes("dpo")) loads.push(loadStats(), loadPolicy());
  if (roles.includes("admin")) loads.push(loadKeys());
  await Promise.all(loads).catch(report);
}

document.addEventListener("DOMContentLoaded", () => {
  $("form-cle").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("cle").value.trim());
    $("cle").value = "";
    refresh();
  });
  $("deconnexion").addEventListener("click", () => { sessionStorage.removeItem(KEY); refresh(); });
  $("verifier").addEventListener("click", () => verify().catch(report));
  $("exporter-csv").addEventListener("click", () => exportRegister("csv").catch(report));
  $("exporter-jsonl").addEventListener("click", () => exportRegister("jsonl").catch(report));
  $("valider").addEventListener("click", () => validate().catch(report));
  $("form-test").addEventListener("submit", (event) => testText(event).catch(report));
  $("form-nouvelle-cle").addEventListener("submit", (event) => createKey(event).catch(report));
  refresh();
});
