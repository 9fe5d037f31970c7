// The policy in force; for the DPO: edit or upload, validate, see what changes, install, roll back, test.
import { $, api, cell, fill, getJson, item, options, postJson, report } from "./core.js";

let isDpo = false;
let services = [];

export async function loadPolicy(roles) {
  isDpo = roles.includes("dpo");
  const policy = await getJson("/policy");
  $("empreinte").textContent = policy.sha256;
  $("yaml").value = policy.yaml;
  $("yaml").readOnly = !isDpo;
  $("nom-politique").textContent = policy.name || "—";
  services = policy.services;
  options("test-service", policy.services, 0);
  const first = policy.services.find((s) => s.id === $("test-service").value);
  if (first && !$("test-modele").value) $("test-modele").value = first.models[0];
  await loadHistory();
}

async function postYaml(path) {
  return (await api(path, { method: "POST", body: $("yaml").value,
    headers: { "Content-Type": "application/yaml" } })).json();
}

function showProblems(result) {
  const list = $("problemes");
  list.replaceChildren();
  if (result.valid) { item(list, "Politique valide.").className = "ok"; return; }
  for (const line of result.problems) item(list, line).className = "ko";
}

async function validate() {
  $("changements").replaceChildren();
  showProblems(await postYaml("/policy/validate"));
}

function diffBlock(lines) {
  const block = document.createElement("pre");
  block.className = "diff";
  block.setAttribute("aria-label", "Différences avec la politique en vigueur");
  for (const line of lines) {
    const span = document.createElement("span");
    span.className = line.startsWith("+") ? "ajout" : line.startsWith("-") ? "retrait" : "";
    span.textContent = line + "\n";
    block.appendChild(span);
  }
  return block;
}

function changesTable(changes) {
  const table = document.createElement("table");
  table.id = "decisions-changees";
  const caption = table.createCaption();
  caption.textContent = "Décisions qui changent (textes d'exemple pour chaque service, et cas de test de la politique)";
  const head = table.createTHead().insertRow();
  for (const title of ["source", "texte ou cas", "service", "en vigueur", "nouvelle", "attentes non tenues"]) {
    cell(head, title, "th").scope = "col";
  }
  const body = table.createTBody();
  for (const c of changes) {
    const row = body.insertRow();
    for (const text of [c.source, c.name, c.service, c.before, c.after, c.problems.join(" ; ")]) cell(row, text);
  }
  return table;
}

async function compare() {
  const result = await postYaml("/policy/review");
  showProblems(result);
  const area = $("changements");
  area.replaceChildren();
  const title = document.createElement("h3");
  title.textContent = "Ce qui change";
  area.appendChild(title);
  area.appendChild(result.diff.length ? diffBlock(result.diff) : Object.assign(document.createElement("p"),
    { textContent: "Texte identique à la politique en vigueur." }));
  if (!result.valid) return;
  if (result.changes.length) area.appendChild(changesTable(result.changes));
  else area.appendChild(Object.assign(document.createElement("p"),
    { textContent: "Aucune décision ne change sur les textes d'exemple ni sur les cas de test." }));
}

async function installPolicy() {
  if (!confirm("Installer cette politique ? Elle s'applique aussitôt à toutes les requêtes.")) return;
  const done = await postYaml("/policy/install");
  $("problemes").replaceChildren();
  $("changements").replaceChildren();
  item($("problemes"), `Politique installée (empreinte ${done.sha256.slice(0, 12)}…), en vigueur.`).className = "ok";
  await loadPolicy(["dpo"]);
}

async function loadHistory() {
  const history = await getJson("/policy/history");
  const body = fill("versions", history.installations, ["date", (i) => i.sha256.slice(0, 16) + "…", "by",
    (i) => (i.current ? "en vigueur" : i.action)]);
  body.querySelectorAll("tr").forEach((row, index) => {
    const entry = history.installations[index];
    if (!entry) return;
    const actions = cell(row, "");
    if (!isDpo || entry.previous === history.current) return;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Revenir à la version précédente";
    button.setAttribute("aria-label", `Revenir à la version ${entry.previous.slice(0, 12)}, remplacée le ${entry.date}`);
    button.addEventListener("click", () => rollback(entry.previous).catch(report));
    actions.appendChild(button);
  });
}

async function rollback(sha256) {
  if (!confirm(`Remettre en vigueur la version ${sha256.slice(0, 12)}… ?`)) return;
  await postJson("/policy/rollback", { sha256 });
  await loadPolicy(["dpo"]);
}

async function upload() {
  const file = $("fichier-politique").files[0];
  if (file) $("yaml").value = await file.text();
}

function testResult(result) {
  const area = $("resultat-test");
  area.replaceChildren();
  const verdict = document.createElement("p");
  verdict.textContent = `Verdict : requête ${result.verdict_label} (modèle ${result.model})`
    + (result.refusal ? ` — motif : ${result.refusal.message}` : "");
  area.appendChild(verdict);
  if (result.actions.length) {
    const table = document.createElement("table");
    table.createCaption().textContent = "Action par type de donnée";
    const head = table.createTHead().insertRow();
    for (const title of ["type de donnée", "trouvées", "action"]) cell(head, title, "th").scope = "col";
    const body = table.createTBody();
    for (const a of result.actions) {
      const row = body.insertRow();
      for (const text of [a.type, a.count, a.action_label]) cell(row, text);
    }
    area.appendChild(table);
  } else {
    area.appendChild(Object.assign(document.createElement("p"), { textContent: "Aucune donnée personnelle trouvée." }));
  }
  if (result.sent_text !== null) {
    const label = document.createElement("p");
    label.textContent = "Texte tel qu'il serait envoyé au modèle :";
    const sent = document.createElement("pre");
    sent.className = "diff";
    sent.textContent = result.sent_text;
    area.append(label, sent);
  }
}

async function testText(event) {
  event.preventDefault();
  const body = { service: $("test-service").value, model: $("test-modele").value, text: $("test-texte").value };
  testResult(await postJson("/policy/test", body));
}

export function setupPolicy() {
  $("valider").addEventListener("click", () => validate().catch(report));
  $("comparer").addEventListener("click", () => compare().catch(report));
  $("installer").addEventListener("click", () => installPolicy().catch(report));
  $("fichier-politique").addEventListener("change", () => upload().catch(report));
  $("form-test").addEventListener("submit", (event) => testText(event).catch(report));
  $("test-service").addEventListener("change", () => {
    const chosen = services.find((s) => s.id === $("test-service").value);
    $("test-modele").value = chosen ? chosen.models[0] : "";
  });
}
