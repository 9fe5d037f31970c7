// The policy in force; for the DPO: validate, test.
import { $, api, getJson, item, options, postJson, report } from "./core.js";

export async function loadPolicy(roles) {
  const policy = await getJson("/policy");
  $("empreinte").textContent = policy.sha256;
  $("yaml").value = policy.yaml;
  $("yaml").readOnly = !roles.includes("dpo");
  $("nom-politique").textContent = policy.name || "—";
  options("test-service", policy.services, 0);
  const first = policy.services.find((s) => s.id === $("test-service").value);
  if (first && !$("test-modele").value) $("test-modele").value = first.models[0];
}

async function validate() {
  const result = await (await api("/policy/validate", { method: "POST", body: $("yaml").value,
    headers: { "Content-Type": "application/yaml" } })).json();
  const list = $("problemes");
  list.replaceChildren();
  for (const line of result.valid ? ["Politique valide."] : result.problems) item(list, line);
}

async function testText(event) {
  event.preventDefault();
  const body = { service: $("test-service").value, model: $("test-modele").value, text: $("test-texte").value };
  const result = await postJson("/policy/test", body);
  const found = result.findings.map((f) => f.label).join(", ") || "aucune donnée personnelle";
  const refusal = result.refusal ? ` — refus : ${result.refusal.message}` : "";
  $("resultat-test").textContent = `Verdict : ${result.verdict} (modèle ${result.model}) ; trouvé : ${found}${refusal}`;
}

export function setupPolicy() {
  $("valider").addEventListener("click", () => validate().catch(report));
  $("form-test").addEventListener("submit", (event) => testText(event).catch(report));
}
