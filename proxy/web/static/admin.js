// Garde-fou admin pages: every figure comes from the guarded JSON API (/admin/api/...).
import { $, KEY, api, clearError, report } from "./core.js";
import { setupRegister, loadRegister } from "./register.js";
import { setupStats, loadStats } from "./stats.js";
import { setupPolicy, loadPolicy } from "./policy.js";
import { setupKeys, loadKeys } from "./keys.js";

async function whoami() {
  try {
    const me = await (await api("/whoami")).json();
    $("identite").textContent = `Connecté : ${me.user} (rôles : ${me.roles.join(", ")})`;
    $("collectivite").textContent = me.collectivite || "Garde-fou";
    $("nom-politique").textContent = me.policy_name || "—";
    return me.roles;
  } catch (error) {
    $("identite").textContent = "Non identifié.";
    $("nom-politique").textContent = "—";
    return [];
  }
}

function show(roles) {
  for (const element of document.querySelectorAll("[data-role]")) {
    element.hidden = !element.dataset.role.split(" ").some((role) => roles.includes(role));
  }
  const staff = roles.some((role) => role !== "agent");
  $("navigation").hidden = !staff;
  $("connexion").hidden = staff;
  $("deconnexion").hidden = !sessionStorage.getItem(KEY);
}

async function refresh() {
  // Not ready until this identity's sections are loaded: the mark left by the previous refresh
  // (before the key was entered) must not say so.
  delete document.body.dataset.ready;
  clearError();
  const roles = await whoami();
  show(roles);
  const loads = [];
  if (roles.includes("rssi")) loads.push(loadRegister());
  if (roles.includes("rssi") || roles.includes("dpo")) loads.push(loadStats(), loadPolicy(roles));
  if (roles.includes("admin")) loads.push(loadKeys());
  await Promise.all(loads).catch(report);
  document.body.dataset.ready = "oui";
}

document.addEventListener("DOMContentLoaded", () => {
  $("form-cle").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("cle").value.trim());
    $("cle").value = "";
    refresh();
  });
  $("deconnexion").addEventListener("click", () => { sessionStorage.removeItem(KEY); refresh(); });
  setupRegister();
  setupStats();
  setupPolicy();
  setupKeys();
  refresh();
});
