// API keys (admin): agent keys only from this page, for a service of the policy; rssi, dpo and admin
// keys are created and revoked on the server (gardefou keys ...).
import { $, api, cell, clearError, fill, getJson, options, postJson, report } from "./core.js";

const ROLES = { agent: "agent", rssi: "RSSI", dpo: "DPO", admin: "administrateur" };

export async function loadKeys() {
  const data = await getJson("/keys");
  options("nc-service", data.services, 0);
  const body = fill("liste-cles", data.keys, ["id", "user", "service", (k) => ROLES[k.role] || k.role,
    (k) => k.created_on, (k) => k.expires_on || "jamais", (k) => k.last_used_on || "jamais", "state"]);
  body.querySelectorAll("tr").forEach((row, index) => {
    const key = data.keys[index];
    if (!key) return;
    const actions = cell(row, "");
    if (key.revocable_here) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Révoquer";
      button.setAttribute("aria-label", `Révoquer la clé ${key.id} (${key.user})`);
      button.addEventListener("click", () => revoke(key.id).catch(report));
      actions.appendChild(button);
    } else if (key.state === "active") {
      actions.textContent = "en ligne de commande";
    }
  });
}

async function revoke(id) {
  if (!confirm(`Révoquer la clé ${id} ?`)) return;
  await api(`/keys/${encodeURIComponent(id)}`, { method: "DELETE" });
  await loadKeys();
}

function showKey(created) {
  const area = $("nouvelle-cle");
  area.replaceChildren();
  area.className = "cle-creee";
  const intro = document.createElement("p");
  intro.textContent = `Clé créée pour ${created.user} (service ${created.service}). Elle ne sera plus affichée : `
    + "transmettez-la par un canal sûr.";
  const code = document.createElement("code");
  code.id = "cle-secrete";
  code.textContent = created.key;
  const copy = document.createElement("button");
  copy.type = "button";
  copy.textContent = "Copier la clé";
  const done = document.createElement("span");
  done.setAttribute("role", "status");
  copy.addEventListener("click", () => navigator.clipboard.writeText(created.key)
    .then(() => { done.textContent = " Copiée."; })
    .catch(() => { done.textContent = " Copie impossible : sélectionnez la clé et copiez-la."; }));
  area.append(intro, code, " ", copy, done);
}

async function createKey(event) {
  event.preventDefault();
  const area = $("nouvelle-cle");
  clearError();
  area.replaceChildren();  // an error must never sit beside the previous key
  area.className = "";
  const body = { user: $("nc-user").value.trim(), service: $("nc-service").value };
  if ($("nc-expire").value) body.expires = $("nc-expire").value;
  showKey(await postJson("/keys", body));
  await loadKeys();
}

export function setupKeys() {
  $("form-nouvelle-cle").addEventListener("submit", (event) => createKey(event).catch(report));
}
