"use strict";
// Sends the acknowledgement as JSON (never a form post: a page of another site cannot forge it).
(function () {
  const form = document.getElementById("ack-form");
  const status = document.getElementById("ack-status");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const headers = { "Content-Type": "application/json" };
    const key = document.getElementById("api-key").value.trim();
    if (key) headers.Authorization = "Bearer " + key;
    const body = JSON.stringify({ version: form.dataset.version, sha256: form.dataset.sha256 });
    status.textContent = "Envoi…";
    try {
      const response = await fetch("/charte/acceptation", { method: "POST", headers, body });
      const answer = await response.json();
      status.textContent = response.ok ? answer.message : answer.error.message;
      status.className = response.ok ? "ok" : "error";
    } catch (error) {
      status.textContent = "Le serveur Garde-fou ne répond pas ; réessayez.";
      status.className = "error";
    }
  });
})();
