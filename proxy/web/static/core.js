// Shared helpers of the admin pages: the guarded JSON API, tables, messages.
// Data is always inserted as text (textContent, never as HTML). The access key stays in sessionStorage.
export const KEY = "gardefou.cle";
export const $ = (id) => document.getElementById(id);

function headers(extra = {}) {
  const key = sessionStorage.getItem(KEY);
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

export async function api(path, options = {}) {
  const response = await fetch(`/admin/api${path}`, { ...options, headers: headers(options.headers) });
  if (!response.ok) {
    let message = `Erreur ${response.status}`;
    try { message = (await response.json()).error.message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

export async function getJson(path) { return (await api(path)).json(); }

export async function postJson(path, body, method = "POST") {
  const response = await api(path, { method, body: JSON.stringify(body),
    headers: { "Content-Type": "application/json" } });
  return response.json();
}

export function cell(row, text, tag = "td") {
  const td = document.createElement(tag);
  td.textContent = text === null || text === undefined ? "" : String(text);
  row.appendChild(td);
  return td;
}

export function fill(tableId, rows, columns) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren();
  for (const item of rows) {
    const row = document.createElement("tr");
    for (const column of columns) cell(row, typeof column === "function" ? column(item) : item[column]);
    body.appendChild(row);
  }
  if (!rows.length) {
    const row = document.createElement("tr");
    cell(row, "Aucune ligne.").colSpan = $(tableId).querySelectorAll("thead th").length || columns.length;
    body.appendChild(row);
  }
  return body;
}

export function options(selectId, items, keep = 1) {
  // items: strings or {id, label}; the first `keep` options (e.g. "tous") stay.
  const select = $(selectId);
  const previous = select.value;
  while (select.options.length > keep) select.remove(keep);
  for (const item of items) {
    const option = document.createElement("option");
    option.value = typeof item === "string" ? item : item.id;
    option.textContent = typeof item === "string" ? item : item.label;
    select.appendChild(option);
  }
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
}

export function report(error) { $("erreur").textContent = error.message; }
export function clearError() { $("erreur").textContent = ""; }

export const number = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 3 });

export function query(formId) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData($(formId))) if (value) params.set(name, value);
  return params;
}

export function item(list, text) {
  const li = document.createElement("li");
  li.textContent = text;
  list.appendChild(li);
  return li;
}
