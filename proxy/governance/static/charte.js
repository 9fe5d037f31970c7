"use strict";
// Sends the acknowledgement as JSON (never a form post: a page of another site cannot forge it).
// Opened from the link shown in a chat (?jeton=...), it sends that signed token instead of a key,
// and takes the token out of the address bar at once.
(function () {
  const form = document.getElementById("ack-form");
  const status = document.getElementById("ack-status");
  const token = new URLSearchParams(window.location.search).get("jeton");
  if (token) {
    window.history.replaceState(null, "", window.location.pathname);
    document.getElementById("key-field").hidden = true;
    document.getElementById("link-note").hidden = false;
  }
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const headers = { "Content-Type": "application/json" };
    const acknowledgement = { version: form.dataset.version, sha256: form.dataset.sha256 };
    let route = "/charte/acceptation";
    if (token) {
      acknowledgement.jeton = token;
      route = "/charte/acceptation-lien";
    } else {
      const key = document.getElementById("api-key").value.trim();
      if (key) headers.Authorization = "Bearer " + key;
    }
    status.textContent = "Envoi…";
    try {
      const response = await fetch(route, { method: "POST", headers, body: JSON.stringify(acknowledgement) });
      const answer = await response.json();
      status.textContent = response.ok ? answer.message : answer.error.message;
      status.className = response.ok ? "ok" : "error";
    } catch (error) {
      status.textContent = "Le serveur Garde-fou ne répond pas ; réessayez.";
      status.className = "error";
    }
  });
})();
