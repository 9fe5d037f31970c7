// API keys (admin): agent keys only from this page.
import { $, api, cell, fill, getJson, options, postJson, report } from "./core.js";

export async function loadKeys() {
  const data = await getJson("/keys");
  options("nc-service", data.services, 0);
  const body = fill("liste-cles", data.keys, ["id", "user", "service", "role", "created_at", "expires_at",
    "last_used_at", "state"]);
  body.querySelectorAll("tr").forEach((row, index) => {
    const key = data.keys[index];
    if (!key) return;
    if (key.state !== "active") { cell(row, ""); return; }
    const button = document.createElement("button");
    button.type = "button";
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
  const created = await postJson("/keys", body);
  $("nouvelle-cle").textContent = `Clé créée (affichée une seule fois, transmettez-la par un canal sûr) : ${created.key}`;
  await loadKeys();
}

export function setupKeys() {
  $("form-nouvelle-cle").addEventListener("submit", (event) => createKey(event).catch(report));
}
