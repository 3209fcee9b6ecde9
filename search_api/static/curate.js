// The curator page (/curate): sign in with an API key, the review queue with filters and paging,
// a side-by-side view of the source segment and its translation with the glossary terms
// highlighted, edit / approve / reject with keyboard shortcuts, the records that use the segment,
// the history, and version conflicts. Everything from the API is inserted as text (render.js's
// `h` and text nodes); glossary highlights are <mark> elements built here, never parsed HTML.
//
// The key lives in sessionStorage only (this tab, until it closes or the curator signs out) and
// goes to the API as the X-API-Key header.

import { ApiError, Client } from "./api.js";
import { LANGUAGES, dirFor, isLanguage, pickLanguage, translator } from "./i18n.js";
import { h, safeHref, srOnly } from "./render.js";
import "./curate-insights.js"; // "What readers need": its own panel

const KEY_STORAGE = "chm-curator-key";
const PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
const STATUSES = ["machine", "reviewed", "rejected", "stale", "failed"];
const ORDERS = ["used", "recent", "impact"];
const REALMS = ["CHM", "ABS", "BCH"];
const DEFAULT_FILTERS = Object.freeze({
  status: "machine",
  lang: "",
  source_lang: "",
  realm: "",
  schema: "",
  government: "",
  q: "",
  order: "used",
});
const FILTER_NAMES = Object.keys(DEFAULT_FILTERS);
/** What the API accepts for these filters (anything else in a URL is dropped, not sent). */
const FILTER_PATTERNS = { schema: /^[A-Za-z0-9]{1,100}$/, government: /^[A-Za-z]{2}$/ };
const PREVIEW_CHARS = 140;
/** The most translations one bulk approval takes (the API's BULK_MAX). */
const BULK_MAX = 500;
const EMPTY_REASONS = ["no_records", "no_models", "not_translated", "filtered", "all_reviewed", "none"];

const $ = (id) => document.getElementById(id);
const el = {
  langSelect: $("ui-lang"),
  signOut: $("sign-out"),
  announce: $("announce"),
  signin: $("signin"),
  signinForm: $("signin-form"),
  signinHeading: $("signin-heading"),
  signinError: $("signin-error"),
  keyInput: $("api-key"),
  signinButton: $("signin-button"),
  workspace: $("workspace"),
  filters: $("filters"),
  filtersToggle: $("filters-toggle"),
  filtersCount: $("filters-count"),
  reset: $("f-reset"),
  queueHeading: $("queue-heading"),
  queueStatus: $("queue-status"),
  queue: $("queue"),
  pager: $("queue-pager"),
  prev: $("page-prev"),
  next: $("page-next"),
  pageInfo: $("page-info"),
  editor: $("editor"),
  editorHeading: $("editor-heading"),
  editorEmpty: $("editor-empty"),
  editorBody: $("editor-body"),
  meta: $("item-meta"),
  alert: $("editor-alert"),
  sourceHeading: $("source-heading"),
  sourceText: $("source-text"),
  targetHeading: $("target-heading"),
  targetText: $("target-text"),
  editBox: $("edit-box"),
  editText: $("edit-text"),
  btnEdit: $("btn-edit"),
  btnApprove: $("btn-approve"),
  btnReject: $("btn-reject"),
  btnCancel: $("btn-cancel"),
  btnHistory: $("btn-history"),
  glossaryList: $("glossary-list"),
  recordsHeading: $("records-heading"),
  recordsList: $("records-list"),
  history: $("history"),
  historyHeading: $("history-heading"),
  historyClose: $("history-close"),
  historyStatus: $("history-status"),
  historyList: $("history-list"),
  queueEmpty: $("queue-empty"),
  bulk: $("bulk"),
  bulkButton: $("bulk-approve"),
  bulkDialog: $("bulk-dialog"),
  bulkText: $("bulk-text"),
  bulkFilters: $("bulk-filters"),
  bulkConfirm: $("bulk-confirm"),
  warnings: $("item-warnings"),
  context: $("context"),
  contextText: $("context-text"),
};

const apiBase = new URL("..", import.meta.url);
const searchPage = new URL("./", apiBase);

// ---- state ------------------------------------------------------------------------------------

const params = new URLSearchParams(location.search);
let t = translator(isLanguage(params.get("ui")) ? params.get("ui") : pickLanguage(navigator.languages));
let filters = filtersFromParams(params);
let page = positiveInt(params.get("page")) ?? 1;
const pageSize = Math.min(positiveInt(params.get("size")) ?? PAGE_SIZE, MAX_PAGE_SIZE);

let client = null; // a CuratorClient once signed in
let queue = { total: 0, page: 1, size: pageSize, items: [], empty: null };
let filterValues = null; // the catalogue's values for the filters, labelled in the UI language
let current = -1; // index of the open item in queue.items
let editing = false;
let busy = false;
let conflict = null; // the server's current version after a 409
let historyFor = null; // the id whose history the panel shows
let listController = null;
let historyController = null;

function positiveInt(value) {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 100000 ? n : null;
}

function filtersFromParams(source) {
  const result = { ...DEFAULT_FILTERS };
  if (STATUSES.includes(source.get("status"))) result.status = source.get("status");
  for (const name of ["lang", "source_lang"]) {
    if (isLanguage(source.get(name))) result[name] = source.get(name);
  }
  if (REALMS.includes(source.get("realm"))) result.realm = source.get("realm");
  for (const name of ["schema", "government", "q"]) {
    const value = (source.get(name) ?? "").trim();
    if (!FILTER_PATTERNS[name] || FILTER_PATTERNS[name].test(value)) result[name] = value;
  }
  result.government = result.government.toLowerCase();
  if (ORDERS.includes(source.get("order"))) result.order = source.get("order");
  return result;
}

/** The page's own URL: filters that differ from the defaults, the page, the UI language. */
function pageUrl() {
  const query = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    if (filters[name] === DEFAULT_FILTERS[name]) continue;
    query.set(name, filters[name]);
  }
  if (page > 1) query.set("page", String(page));
  if (pageSize !== PAGE_SIZE) query.set("size", String(pageSize));
  if (params.has("ui") || t.lang !== pickLanguage(navigator.languages)) query.set("ui", t.lang);
  const text = query.toString();
  return `${location.pathname}${text ? `?${text}` : ""}`;
}

// ---- the API ----------------------------------------------------------------------------------

/** /api/v1/translations with the curator's key. Errors are ApiError, with `body` when JSON came back. */
class CuratorClient {
  constructor(key) {
    this.key = key;
    this.api = new Client(apiBase);
  }

  async request(method, path, { query = null, body = undefined, signal = undefined } = {}) {
    const headers = { Accept: "application/json", "X-API-Key": this.key };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(this.api.url(path, query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: "no-store",
        credentials: "omit",
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, "unreachable", String(error.message || error));
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = new ApiError(response.status, data?.error?.code, data?.error?.message);
      error.body = data;
      throw error;
    }
    return data;
  }

  list(chosen, pageNumber, signal) {
    const query = new URLSearchParams();
    for (const name of FILTER_NAMES) {
      if (chosen[name]) query.set(name, chosen[name]);
    }
    query.set("page", String(pageNumber));
    query.set("size", String(pageSize));
    return this.request("GET", "translations", { query, signal });
  }

  item(id) {
    return this.request("GET", `translations/${encodeURIComponent(id)}`);
  }

  save(id, change) {
    return this.request("PUT", `translations/${encodeURIComponent(id)}`, { body: change });
  }

  history(id, signal) {
    return this.request("GET", `translations/${encodeURIComponent(id)}/history`, { signal });
  }

  filterValues(lang) {
    return this.request("GET", "translations/filters", { query: new URLSearchParams({ lang }) });
  }

  approveAll(chosen, expected) {
    const body = { expected };
    for (const name of ["lang", "source_lang", "realm", "schema", "government", "q"]) {
      if (chosen[name]) body[name] = chosen[name];
    }
    return this.request("POST", "translations/approve", { body });
  }
}

/** What to tell the curator about `error` (an ApiError or anything else). */
function errorMessage(error) {
  if (!(error instanceof ApiError)) return t("cur_err_generic", { message: String(error?.message || error) });
  if (error.status === 0) return t("cur_err_unreachable");
  if (error.status === 401) return t("cur_err_401");
  if (error.status === 403) return t("cur_err_403");
  if (error.status === 404) return t("cur_err_404", { message: error.message || "" });
  return t("cur_err_generic", { message: error.message || `HTTP ${error.status}` });
}

/** A 401 or 403 ends the session: back to sign-in with the reason. True when that happened. */
function endSessionOn(error) {
  if (!(error instanceof ApiError) || (error.status !== 401 && error.status !== 403)) return false;
  signOut(errorMessage(error));
  return true;
}

// ---- small helpers ----------------------------------------------------------------------------

function announce(text) {
  el.announce.textContent = "";
  // A new text node a moment later, so that the same words twice are announced twice.
  setTimeout(() => {
    el.announce.textContent = text;
  }, 30);
}

function truncate(text, max) {
  const chars = Array.from(String(text ?? ""));
  return chars.length <= max ? chars.join("") : `${chars.slice(0, max).join("").trimEnd()}…`;
}

function formatTime(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  try {
    return new Intl.DateTimeFormat(t.lang, { dateStyle: "medium", timeStyle: "short" }).format(date);
  } catch {
    return date.toISOString();
  }
}

function label(prefix, value) {
  const key = `${prefix}${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

/** `parts` as isolated runs between separators, so that names and dates keep their own direction. */
function joined(parts) {
  return parts.flatMap((part, index) => [index ? " · " : null, h("bdi", {}, part)]).filter(Boolean);
}

function statusBadge(status) {
  return h("span", { class: "chm-badge cur-status", "data-status": status ?? "" }, label("cur_st_", status ?? "?"));
}

function langAttrs(code) {
  return isLanguage(code) ? { lang: code, dir: dirFor(code) } : { dir: "auto" };
}

function isTyping(target) {
  if (!(target instanceof Element)) return false;
  return target.isContentEditable || target.matches("input, textarea, select");
}

// ---- glossary highlighting --------------------------------------------------------------------

const REGEXP_SYNTAX = /[\^$\\.*+?()[\]{}|/]/g;

/** A pattern for `term`: literal text, any run of whitespace for a space, either apostrophe. */
function termPattern(term) {
  return term
    .trim()
    .split(/\s+/u)
    .map((word) => word.replace(REGEXP_SYNTAX, "\\$&").replace(/['’]/gu, "['’]"))
    .join("\\s+");
}

function termKey(text) {
  return text.toLowerCase().replace(/\s+/gu, " ").replace(/’/gu, "'").trim();
}

/**
 * `text` as nodes: text, and <mark class="term"> around every case-insensitive occurrence of one
 * of `terms` (longest first, never overlapping). `hints` maps a term (termKey) to a tooltip.
 */
export function highlightTerms(text, terms, hints = new Map()) {
  const fragment = document.createDocumentFragment();
  const value = String(text ?? "");
  const unique = [...new Set(terms.map((term) => String(term ?? "").trim()).filter(Boolean))].sort(
    (a, b) => b.length - a.length,
  );
  if (!unique.length) {
    fragment.append(value);
    return fragment;
  }
  const pattern = new RegExp(unique.map(termPattern).join("|"), "giu");
  let last = 0;
  for (const match of value.matchAll(pattern)) {
    if (!match[0]) continue;
    if (match.index > last) fragment.append(value.slice(last, match.index));
    fragment.append(h("mark", { class: "term", title: hints.get(termKey(match[0])) ?? null }, match[0]));
    last = match.index + match[0].length;
  }
  if (last < value.length) fragment.append(value.slice(last));
  return fragment;
}

function containsTerm(text, term) {
  if (!term || !text) return false;
  return new RegExp(termPattern(term), "iu").test(text);
}

// ---- language ---------------------------------------------------------------------------------

/** The options of a filter: the catalogue's values once known (languages and realms before). */
function filterOptions(kind) {
  const known = filterValues?.[kind];
  const languageOption = (code) => h("option", { value: code }, `${t.languageName(code)} (${code})`);
  if (kind === "target_language" || kind === "source_language") {
    return (known ? known.map((one) => one.value) : LANGUAGES).map(languageOption);
  }
  if (kind === "realm") {
    return known ? known.map((one) => h("option", { value: one.value }, `${one.label} (${one.value})`)) : REALMS.map((code) => h("option", { value: code }, code));
  }
  if (!known) return [];
  if (kind === "schema") {
    const groups = new Map();
    for (const one of known) {
      if (!groups.has(one.realm)) groups.set(one.realm, []);
      groups.get(one.realm).push(h("option", { value: one.value }, one.label));
    }
    const realmLabel = (code) => filterValues.realm?.find((one) => one.value === code)?.label ?? code;
    return [...groups].map(([realm, options]) => h("optgroup", { label: realmLabel(realm) }, ...options));
  }
  return known.map((one) => h("option", { value: one.value }, one.label));
}

function fillFilterSelects() {
  for (const select of el.filters.querySelectorAll("select[data-values]")) {
    const kind = select.dataset.values;
    const value = filters[select.name] ?? "";
    const options = filterOptions(kind);
    const present = (candidate) => options.some((o) => o.value === candidate || [...(o.children ?? [])].some((c) => c.value === candidate));
    // A value from the URL that the catalogue does not hold stays selectable (it shows why nothing matches).
    if (value && !present(value)) options.push(h("option", { value }, value));
    select.replaceChildren(h("option", { value: "" }, t("cur_any")), ...options);
    select.value = value;
  }
}

/** The catalogue's values for the filters, labelled in the UI language (once signed in). */
async function loadFilterValues() {
  if (!client) return;
  try {
    filterValues = await client.filterValues(t.lang);
  } catch (error) {
    if (endSessionOn(error)) return;
    filterValues = null; // the lists fall back to the six languages and three realms
  }
  fillFilterSelects();
  const item = current >= 0 ? queue.items[current] : null;
  if (item) renderRecords(item); // their types and countries, now in words
}

/** A filter value in words (the catalogue's labels, in the UI language); a country by its name. */
function valueLabel(kind, value) {
  const label = filterValues?.[kind]?.find((one) => one.value === value)?.label;
  if (label) return label;
  return kind === "government" && value ? t.regionName(value) : value;
}

function applyLanguage() {
  document.documentElement.lang = t.lang;
  document.documentElement.dir = t.dir;
  document.title = t("cur_title");
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  el.langSelect.value = t.lang;
  el.pager.setAttribute("aria-label", t("cur_pages"));
  el.warnings.setAttribute("aria-label", t("cur_warnings"));
  fillFilterSelects();
  syncFilterForm();
  document.dispatchEvent(new CustomEvent("chm:language", { detail: t.lang }));
}

el.langSelect.addEventListener("change", () => {
  if (!isLanguage(el.langSelect.value)) return;
  t = translator(el.langSelect.value);
  params.set("ui", t.lang);
  applyLanguage();
  history.replaceState(null, "", pageUrl());
  if (!el.workspace.hidden) {
    loadFilterValues();
    renderQueue();
    renderEditor();
    if (historyFor !== null && !el.history.hidden) loadHistory();
  }
});

// ---- sign in and out --------------------------------------------------------------------------

function storedKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

function storeKey(key) {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage refused (private mode policies): the key then lives in this page only.
  }
}

function showSignin(message = "") {
  el.workspace.hidden = true;
  el.signOut.hidden = true;
  el.signin.hidden = false;
  el.signinError.textContent = message;
  el.keyInput.value = "";
  el.keyInput.setAttribute("aria-invalid", message ? "true" : "false");
  el.keyInput.focus();
}

function showWorkspace() {
  el.signin.hidden = true;
  el.workspace.hidden = false;
  el.signOut.hidden = false;
}

function signOut(message = "") {
  listController?.abort();
  historyController?.abort();
  storeKey(null);
  client = null;
  queue = { total: 0, page: 1, size: pageSize, items: [], empty: null };
  filterValues = null;
  setCurrent(-1);
  historyFor = null;
  el.queue.replaceChildren();
  renderEditor();
  showSignin(message);
  announce(message || t("cur_signed_out"));
}

el.signOut.addEventListener("click", () => signOut(""));

el.signinForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = el.keyInput.value.trim();
  if (!key) {
    el.signinError.textContent = t("cur_key_required");
    el.keyInput.setAttribute("aria-invalid", "true");
    el.keyInput.focus();
    return;
  }
  el.signinButton.disabled = true;
  el.queue.setAttribute("aria-busy", "true");
  el.signinError.textContent = "";
  announce(t("cur_signing_in"));
  const candidate = new CuratorClient(key);
  try {
    const data = await candidate.list(filters, page);
    client = candidate;
    storeKey(key);
    el.keyInput.value = "";
    showWorkspace();
    receiveQueue(data, { select: 0 });
    loadFilterValues();
    el.queueHeading.focus();
    announce(`${t("cur_signed_in")} ${queueSummary()}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      // The key is good (it is checked first); a filter is not: start again from the defaults.
      client = candidate;
      storeKey(key);
      el.keyInput.value = "";
      showWorkspace();
      filters = { ...DEFAULT_FILTERS };
      page = 1;
      loadFilterValues();
      syncFilterForm();
      history.replaceState(null, "", pageUrl());
      await loadQueue({ select: 0 });
      el.queueHeading.focus();
      return;
    }
    el.signinError.textContent =
      error instanceof ApiError && (error.status === 404 || error.status === 405) ? t("cur_err_unavailable") : errorMessage(error);
    el.keyInput.setAttribute("aria-invalid", "true");
    el.keyInput.select();
    el.keyInput.focus();
  } finally {
    el.signinButton.disabled = false;
    el.queue.setAttribute("aria-busy", "false");
  }
});

// ---- filters ----------------------------------------------------------------------------------

function syncFilterForm() {
  for (const name of FILTER_NAMES) {
    const control = el.filters.elements.namedItem(name);
    if (control) control.value = filters[name];
  }
  // The filters button says how many narrow the queue (the order is not one of them).
  const active = FILTER_NAMES.filter((name) => name !== "order" && filters[name] !== DEFAULT_FILTERS[name]).length;
  el.filtersCount.hidden = !active;
  el.filtersCount.textContent = active ? `(${t.number(active)})` : "";
}

function readFilterForm() {
  const next = { ...DEFAULT_FILTERS };
  for (const name of FILTER_NAMES) {
    const control = el.filters.elements.namedItem(name);
    if (control) next[name] = String(control.value).trim();
  }
  next.government = next.government.toLowerCase();
  if (!STATUSES.includes(next.status)) next.status = DEFAULT_FILTERS.status;
  return next;
}

function applyFilters(next) {
  filters = next;
  page = 1;
  syncFilterForm();
  history.replaceState(null, "", pageUrl());
  loadQueue({ select: 0 });
}

// On a phone (as on the search page) the form folds away behind a button, the queue first.
const narrow = matchMedia("(max-width: 48rem)");
// Where the queue and the editor stand in one column (curate.css).
const oneColumn = matchMedia("(max-width: 56rem)");

function showFilters(open, { focus = false } = {}) {
  el.filters.classList.toggle("filters-open", open);
  el.filtersToggle.setAttribute("aria-expanded", String(open));
  if (focus) (open ? el.filters.elements.namedItem("status") : el.filtersToggle).focus();
}

el.filtersToggle.addEventListener("click", () => {
  showFilters(el.filtersToggle.getAttribute("aria-expanded") !== "true", { focus: true });
});

el.filters.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && narrow.matches) {
    event.stopPropagation();
    showFilters(false, { focus: true });
  }
});

el.filters.addEventListener("submit", (event) => {
  event.preventDefault();
  applyFilters(readFilterForm());
  if (narrow.matches) showFilters(false, { focus: true });
});

el.filters.addEventListener("change", (event) => {
  if (event.target instanceof HTMLSelectElement) applyFilters(readFilterForm());
});

el.reset.addEventListener("click", () => {
  filters = { ...DEFAULT_FILTERS };
  syncFilterForm();
  applyFilters(filters);
});

// ---- the queue --------------------------------------------------------------------------------

function pageCount() {
  return Math.max(1, Math.ceil(queue.total / (queue.size || pageSize)));
}

function queueSummary() {
  if (!queue.total && queue.empty) return t(`cur_empty_${queue.empty.reason}`, { count: t.number(Number(queue.empty.count) || 0) }).replace(/`/gu, "");
  if (!queue.total) return t("cur_queue_empty");
  return t.plural("cur_queue_count", queue.total);
}

/**
 * Load the current page of the queue. `select`: the index to open (negative counts from the end),
 * or null to keep the open item when it is still there. `focus`: move the focus to it.
 */
async function loadQueue({ select = null, focus = false } = {}) {
  if (!client) return;
  listController?.abort();
  const controller = new AbortController();
  listController = controller;
  el.queue.setAttribute("aria-busy", "true");
  el.queueStatus.classList.remove("error");
  el.queueStatus.textContent = t("cur_loading");
  try {
    const data = await client.list(filters, page, controller.signal);
    if (controller.signal.aborted) return;
    receiveQueue(data, { select, focus });
    announce(queueSummary());
  } catch (error) {
    if (error.name === "AbortError" || controller.signal.aborted) return;
    if (endSessionOn(error)) return;
    el.queueStatus.classList.add("error");
    el.queueStatus.textContent = errorMessage(error);
  } finally {
    if (listController === controller) el.queue.setAttribute("aria-busy", "false");
  }
}

/** Make the item at `index` of the page the open one (-1: none), with no edit or conflict left from another. */
function setCurrent(index) {
  current = index;
  editing = false;
  conflict = null;
}

function receiveQueue(data, { select = null, focus = false } = {}) {
  const openId = current >= 0 ? queue.items[current]?.id : null;
  queue = {
    total: Number(data?.total) || 0,
    page: Number(data?.page) || page,
    size: Number(data?.size) || pageSize,
    items: Array.isArray(data?.items) ? data.items : [],
    empty: data?.empty && EMPTY_REASONS.includes(data.empty.reason) ? data.empty : null,
  };
  page = queue.page;
  let index = -1;
  if (select !== null && queue.items.length) {
    index = select < 0 ? queue.items.length + select : Math.min(select, queue.items.length - 1);
  } else if (openId !== null) {
    index = queue.items.findIndex((item) => item.id === openId);
  }
  if (index < 0 && queue.items.length) index = 0;
  setCurrent(index);
  renderQueue();
  renderEditor();
  if (focus) focusCurrent();
}

function queueEntry(item, index) {
  const selected = index === current;
  const button = h(
    "button",
    {
      type: "button",
      class: "queue-item",
      "data-id": item.id,
      "data-status": item.status,
      "aria-current": selected ? "true" : null,
      tabindex: selected || (current < 0 && index === 0) ? "0" : "-1",
    },
    h(
      "span",
      { class: "queue-item-head" },
      statusBadge(item.status),
      h("span", { class: "queue-pair" }, `${item.source_language} → ${item.target_language}`),
      h("span", { class: "queue-used" }, t.plural("cur_used_in", Number(item.record_count) || 0)),
      warningsOf(item).length ? h("span", { class: "chm-badge queue-warn" }, t.plural("cur_warn_count", warningsOf(item).length)) : null,
    ),
    h("span", { class: "queue-source", ...langAttrs(item.source_language) }, truncate(item.source_text, PREVIEW_CHARS)),
    h(
      "span",
      { class: "queue-target", ...langAttrs(item.target_language) },
      item.text ? truncate(item.text, PREVIEW_CHARS) : t("cur_no_text"),
    ),
  );
  button.addEventListener("click", () => {
    open(index, { focus: false });
    // One column (a phone): the editor is under the queue; take the curator to it.
    if (oneColumn.matches) el.editor.scrollIntoView({ block: "start" });
  });
  return h("li", {}, button);
}

/** Why the queue is empty, in the UI language, with the command to run in <code>. */
function emptyMessage(empty) {
  const count = t.number(Number(empty.count) || 0);
  const text = t(`cur_empty_${empty.reason}`, { count });
  const parts = text.split(/(`[^`]+`)/u).filter(Boolean);
  return parts.map((part) => (part.startsWith("`") ? h("code", { dir: "ltr" }, part.slice(1, -1)) : part));
}

function renderQueue() {
  el.queue.replaceChildren(...queue.items.map(queueEntry));
  el.queueStatus.classList.remove("error");
  el.queueStatus.dataset.total = String(queue.total);
  // An empty queue's reason is in its own box below; the status line would only repeat it.
  el.queueStatus.textContent = queue.empty ? "" : queueSummary();
  el.queueEmpty.hidden = !queue.empty;
  el.queueEmpty.dataset.reason = queue.empty?.reason ?? "";
  el.queueEmpty.replaceChildren(...(queue.empty ? emptyMessage(queue.empty) : []));
  const bulkable = filters.status === "machine" && queue.total > 0 && queue.total <= BULK_MAX;
  el.bulk.hidden = !bulkable;
  el.bulkButton.textContent = t.plural("cur_bulk_button", queue.total);
  const pages = pageCount();
  el.pager.hidden = pages <= 1;
  el.pageInfo.textContent = t("cur_page", { page: t.number(queue.page), pages: t.number(pages) });
  el.prev.disabled = queue.page <= 1;
  el.next.disabled = queue.page >= pages;
}

function updateQueueEntry(index) {
  const old = el.queue.children[index];
  if (old) old.replaceWith(queueEntry(queue.items[index], index));
}

function focusCurrent() {
  const button = el.queue.children[current]?.querySelector("button");
  if (button) {
    button.focus();
    button.scrollIntoView({ block: "nearest" });
  }
}

/** Mark the open item in the list (in place, so that the focus stays where it is). */
function markCurrent() {
  for (const [i, li] of [...el.queue.children].entries()) {
    const button = li.querySelector("button");
    if (!button) continue;
    button.setAttribute("tabindex", i === current ? "0" : "-1");
    if (i === current) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
}

/** Open the item at `index` of the page; `prefix` goes before the announcement. */
function open(index, { focus = true, prefix = "" } = {}) {
  if (index < 0 || index >= queue.items.length) return;
  setCurrent(index);
  markCurrent();
  renderEditor();
  if (focus) focusCurrent();
  const item = queue.items[current];
  const opened = t("cur_opened", {
    n: t.number((queue.page - 1) * queue.size + current + 1),
    total: t.number(queue.total),
    status: label("cur_st_", item.status),
  });
  announce(prefix ? `${prefix} ${opened}` : opened);
  if (!el.history.hidden) loadHistory();
}

/** Move by `step` in the queue, across pages. */
async function move(step) {
  if (!queue.items.length) return;
  const target = current + step;
  if (target >= 0 && target < queue.items.length) {
    open(target);
    return;
  }
  if (step > 0 && queue.page < pageCount()) {
    page = queue.page + 1;
    history.replaceState(null, "", pageUrl());
    await loadQueue({ select: 0, focus: true });
  } else if (step < 0 && queue.page > 1) {
    page = queue.page - 1;
    history.replaceState(null, "", pageUrl());
    await loadQueue({ select: -1, focus: true });
  } else {
    announce(step > 0 ? t("cur_end_of_queue") : t("cur_start_of_queue"));
  }
}

function goToPage(number) {
  page = number;
  history.replaceState(null, "", pageUrl());
  loadQueue({ select: 0 }).then(() => el.queueHeading.focus());
}

el.prev.addEventListener("click", () => goToPage(Math.max(1, queue.page - 1)));
el.next.addEventListener("click", () => goToPage(Math.min(pageCount(), queue.page + 1)));

// ---- the editor -------------------------------------------------------------------------------

function currentItem() {
  return current >= 0 ? (queue.items[current] ?? null) : null;
}

function itemMeta(item) {
  const parts = [statusBadge(item.status)];
  const details = [];
  if (item.provenance && item.provenance !== item.status) details.push(label("prov_", item.provenance));
  details.push(t("cur_version", { version: t.number(Number(item.version) || 0) }));
  for (const name of ["engine", "model"]) if (item[name]) details.push(String(item[name]));
  if (item.pivot) details.push(t("viaLanguage", { language: t.languageName(String(item.pivot)) }));
  if (item.actor) details.push(t("cur_by", { actor: String(item.actor) }));
  if (item.updated_at) details.push(formatTime(item.updated_at));
  parts.push(h("span", { class: "item-details" }, joined(details)));
  if (item.status_reason) parts.push(h("span", { class: "item-reason" }, t("cur_reason", { reason: String(item.status_reason) })));
  return parts;
}

function warningsOf(item) {
  return (Array.isArray(item?.warnings) ? item.warnings : []).filter((w) => ["source_words", "too_long", "too_short"].includes(w.code));
}

function renderWarnings(item) {
  const found = warningsOf(item);
  el.warnings.hidden = !found.length;
  el.warnings.replaceChildren(
    ...found.map((warning) => {
      const detail = String(warning.detail ?? "");
      const ratio = Number(detail);
      const vars = warning.code === "source_words" ? {} : { ratio: Number.isFinite(ratio) ? t.number(ratio) : detail };
      return h(
        "li",
        { "data-code": warning.code },
        t(`cur_warn_${warning.code}`, vars),
        warning.code === "source_words" && detail ? [" ", h("q", { ...langAttrs(item.source_language) }, detail)] : null,
      );
    }),
  );
}

function renderContext(item) {
  const around = item.context;
  el.context.hidden = !around;
  if (!around) {
    el.contextText.replaceChildren();
    return;
  }
  for (const [name, value] of Object.entries(langAttrs(item.source_language))) el.contextText.setAttribute(name, value);
  el.contextText.replaceChildren(
    around.before ? h("span", { class: "context-before" }, String(around.before), " ") : null,
    h("strong", { class: "context-sentence" }, String(item.source_text ?? "")),
    around.after ? h("span", { class: "context-after" }, " ", String(around.after)) : null,
  );
}

function renderGlossary(item) {
  const terms = Array.isArray(item.glossary) ? item.glossary : [];
  if (!terms.length) {
    el.glossaryList.replaceChildren(h("li", { class: "muted" }, t("cur_no_glossary")));
    return;
  }
  el.glossaryList.replaceChildren(
    ...terms.map((term) => {
      const found = containsTerm(item.text, term.target);
      return h(
        "li",
        { "data-found": String(found) },
        h("span", { class: "term-source", ...langAttrs(item.source_language) }, String(term.source ?? "")),
        h("span", { class: "term-arrow", "aria-hidden": "true" }, t.dir === "rtl" ? " ← " : " → "),
        srOnly(` ${t("cur_term_becomes")} `),
        h("span", { class: "term-target", ...langAttrs(item.target_language) }, String(term.target ?? "")),
        found ? null : h("span", { class: "term-missing" }, ` ${t("cur_term_missing")}`),
      );
    }),
  );
}

/** The search page showing `record` (found by its identifier) in the translation's language. */
function recordHref(record, item) {
  const query = new URLSearchParams({ q: String(record.id), lang: isLanguage(item.target_language) ? item.target_language : t.lang });
  return `${searchPage.pathname}?${query}`;
}

function renderRecords(item) {
  const records = Array.isArray(item.records) ? item.records : [];
  const count = Math.max(Number(item.record_count) || 0, records.length);
  el.recordsHeading.textContent = t.plural("cur_used_in", count);
  const entries = records.map((record) => {
    const meta = [record.id, record.realm, valueLabel("schema", record.schema), valueLabel("government", record.government)].filter(Boolean);
    const original = safeHref(record.url);
    return h(
      "li",
      { "data-id": record.id },
      h("a", { href: recordHref(record, item), class: "record-link", dir: "auto" }, String(record.title || record.id)),
      meta.length ? h("span", { class: "record-meta" }, " · ", joined(meta)) : null,
      original
        ? h(
            "span",
            {},
            " · ",
            h("a", { href: original, target: "_blank", rel: "noopener noreferrer" }, t("originalRecord"), " ", srOnly(t("opensInNewTab"))),
          )
        : null,
    );
  });
  if (count > records.length) entries.push(h("li", { class: "muted" }, t("cur_more_records", { count: t.number(count - records.length) })));
  el.recordsList.replaceChildren(...entries);
}

function renderAlert() {
  if (!conflict) return;
  const item = conflict;
  const reload = h("button", { type: "button", id: "conflict-reload", class: "approve-button" }, t("cur_reload"));
  reload.addEventListener("click", reloadCurrent);
  el.alert.dataset.kind = "conflict";
  el.alert.replaceChildren(
    h("p", { class: "alert-title" }, t("cur_conflict")),
    h(
      "p",
      { class: "alert-detail" },
      t("cur_conflict_current", {
        version: t.number(Number(item.version) || 0),
        status: label("cur_st_", item.status),
        actor: item.actor || "?",
      }),
    ),
    h("blockquote", { class: "conflict-text", ...langAttrs(item.target_language) }, item.text ? String(item.text) : t("cur_no_text")),
    h("p", {}, reload),
  );
}

function showError(message) {
  conflict = null;
  el.alert.dataset.kind = "error";
  el.alert.replaceChildren(h("p", { class: "alert-title" }, message));
}

function clearAlert() {
  conflict = null;
  delete el.alert.dataset.kind;
  el.alert.replaceChildren();
}

function renderEditor() {
  const item = currentItem();
  el.editorEmpty.hidden = Boolean(item);
  el.editorBody.hidden = !item;
  if (!item) {
    clearAlert();
    el.history.hidden = true;
    el.btnHistory.setAttribute("aria-expanded", "false");
    return;
  }
  el.editor.dataset.id = String(item.id);
  el.editor.dataset.status = String(item.status ?? "");
  el.meta.replaceChildren(...itemMeta(item));
  const terms = Array.isArray(item.glossary) ? item.glossary : [];
  const hints = new Map();
  for (const term of terms) {
    const pair = `${term.source} → ${term.target}`;
    if (term.source) hints.set(termKey(String(term.source)), pair);
    if (term.target) hints.set(termKey(String(term.target)), pair);
  }
  el.sourceHeading.textContent = t("cur_source", { language: t.languageName(item.source_language) });
  el.targetHeading.textContent = t("cur_translation", { language: t.languageName(item.target_language) });
  for (const [node, code] of [
    [el.sourceText, item.source_language],
    [el.targetText, item.target_language],
  ]) {
    node.removeAttribute("lang");
    for (const [name, value] of Object.entries(langAttrs(code))) node.setAttribute(name, value);
  }
  el.sourceText.replaceChildren(highlightTerms(item.source_text, terms.map((term) => term.source), hints));
  if (item.text) {
    el.targetText.classList.remove("muted");
    el.targetText.replaceChildren(highlightTerms(item.text, terms.map((term) => term.target), hints));
  } else {
    el.targetText.classList.add("muted");
    el.targetText.replaceChildren(t("cur_no_text"));
  }
  for (const [name, value] of Object.entries(langAttrs(item.target_language))) el.editText.setAttribute(name, value);
  renderWarnings(item);
  renderContext(item);
  renderGlossary(item);
  renderRecords(item);
  setEditing(editing);
  if (conflict) renderAlert();
  else clearAlert();
  el.btnApprove.disabled = busy;
  el.btnReject.disabled = busy || item.status === "rejected";
}

function setEditing(on) {
  editing = on;
  el.editBox.hidden = !on;
  el.btnCancel.hidden = !on;
  el.btnEdit.hidden = on;
  el.editor.classList.toggle("is-editing", on);
}

function startEdit() {
  const item = currentItem();
  if (!item || busy) return;
  if (!editing) {
    el.editText.value = item.text ?? "";
    setEditing(true);
    announce(t("cur_edit_started"));
  }
  el.editText.focus();
  el.editText.setSelectionRange(el.editText.value.length, el.editText.value.length);
}

function cancelEdit() {
  if (!editing) return;
  setEditing(false);
  announce(t("cur_edit_cancelled"));
  el.btnEdit.focus();
}

async function save(status) {
  const item = currentItem();
  if (!item || busy || !client) return;
  if (status === "rejected" && item.status === "rejected") {
    announce(t("cur_st_rejected"));
    return;
  }
  let text = null;
  if (status === "reviewed" && editing) {
    const edited = el.editText.value.trim();
    if (!edited) {
      showError(t("cur_empty_text"));
      el.editText.focus();
      return;
    }
    text = edited === String(item.text ?? "").trim() ? null : edited;
  }
  if (status === "reviewed" && text === null && !item.text) {
    showError(t("cur_empty_text"));
    startEdit();
    return;
  }
  busy = true;
  el.editor.setAttribute("aria-busy", "true");
  el.btnApprove.disabled = true;
  el.btnReject.disabled = true;
  announce(t("cur_saving"));
  const index = current;
  try {
    const saved = await client.save(item.id, { text, status, version: item.version });
    queue.items[index] = saved;
    editing = false;
    clearAlert();
    updateQueueEntry(index);
    const done = t(status === "reviewed" ? "cur_approved" : "cur_rejected", { version: t.number(Number(saved.version) || 0) });
    if (index === current && index + 1 < queue.items.length) {
      busy = false;
      open(index + 1, { prefix: done });
    } else {
      renderEditor();
      el.btnEdit.focus();
      announce(done);
    }
  } catch (error) {
    if (endSessionOn(error)) return;
    if (error instanceof ApiError && error.status === 409) {
      conflict = error.body?.current ?? null;
      if (conflict) {
        renderAlert();
        $("conflict-reload")?.focus();
      } else {
        showError(t("cur_conflict"));
      }
    } else {
      showError(errorMessage(error));
    }
  } finally {
    busy = false;
    el.editor.setAttribute("aria-busy", "false");
    const now = currentItem();
    el.btnApprove.disabled = false;
    el.btnReject.disabled = !now || now.status === "rejected";
  }
}

/** After a conflict: take the server's current version (the curator's draft stays in the editor). */
async function reloadCurrent() {
  const item = currentItem();
  if (!item || !client) return;
  let fresh = conflict;
  if (!fresh || fresh.id !== item.id) {
    try {
      fresh = await client.item(item.id);
    } catch (error) {
      if (!endSessionOn(error)) showError(errorMessage(error));
      return;
    }
  }
  const draft = editing ? el.editText.value : null;
  queue.items[current] = fresh;
  conflict = null;
  updateQueueEntry(current);
  renderEditor();
  if (draft !== null) {
    el.editText.value = draft;
    el.editText.focus();
    announce(t("cur_reloaded_draft", { version: t.number(Number(fresh.version) || 0) }));
  } else {
    el.btnApprove.focus();
    announce(t("cur_reloaded", { version: t.number(Number(fresh.version) || 0) }));
  }
  if (!el.history.hidden) loadHistory();
}

el.btnEdit.addEventListener("click", startEdit);
el.btnCancel.addEventListener("click", cancelEdit);
el.btnApprove.addEventListener("click", () => save("reviewed"));
el.btnReject.addEventListener("click", () => save("rejected"));

// ---- history ----------------------------------------------------------------------------------

function historyEntry(version, item) {
  // A version's status is the memory's (current, stale, failed, rejected): a current one is
  // shown as what it is, machine or reviewed, like the queue does.
  const status = version.status === "current" || !version.status ? version.provenance : version.status;
  const details = [];
  if (version.provenance && version.provenance !== status) details.push(label("prov_", version.provenance));
  if (version.actor) details.push(t("cur_by", { actor: String(version.actor) }));
  if (version.at) details.push(formatTime(version.at));
  if (version.status_reason) details.push(t("cur_reason", { reason: String(version.status_reason) }));
  if (version.from_version !== null && version.from_version !== undefined) {
    details.push(t("cur_from_version", { version: t.number(Number(version.from_version)) }));
  }
  return h(
    "li",
    {
      class: "history-entry",
      "data-version": String(version.version),
      "data-status": status ?? "",
      "data-provenance": version.provenance ?? "",
    },
    h(
      "p",
      { class: "history-head-line" },
      h("strong", {}, t("cur_version", { version: t.number(Number(version.version) || 0) })),
      " ",
      statusBadge(status),
    ),
    h("p", { class: "history-details" }, joined(details)),
    h(
      "p",
      { class: "history-text", ...langAttrs(item.target_language) },
      version.text ? String(version.text) : t("cur_no_text"),
    ),
  );
}

async function loadHistory() {
  const item = currentItem();
  if (!item || !client) return;
  historyController?.abort();
  const controller = new AbortController();
  historyController = controller;
  historyFor = item.id;
  el.history.setAttribute("aria-busy", "true");
  el.historyStatus.textContent = t("cur_loading");
  el.historyList.replaceChildren();
  try {
    const data = await client.history(item.id, controller.signal);
    if (controller.signal.aborted) return;
    const versions = (Array.isArray(data?.versions) ? data.versions : [])
      .slice()
      .sort((a, b) => Number(b.version) - Number(a.version));
    el.historyStatus.textContent = t.plural("cur_history_count", versions.length);
    el.historyList.replaceChildren(...versions.map((version) => historyEntry(version, item)));
  } catch (error) {
    if (error.name === "AbortError" || controller.signal.aborted) return;
    if (endSessionOn(error)) return;
    el.historyStatus.textContent = errorMessage(error);
  } finally {
    if (historyController === controller) el.history.setAttribute("aria-busy", "false");
  }
}

function openHistory() {
  if (!currentItem()) return;
  el.history.hidden = false;
  el.btnHistory.setAttribute("aria-expanded", "true");
  loadHistory().then(() => announce(el.historyStatus.textContent));
  el.historyHeading.focus();
  el.history.scrollIntoView({ block: "nearest" });
}

function closeHistory() {
  historyController?.abort();
  el.history.hidden = true;
  historyFor = null;
  el.btnHistory.setAttribute("aria-expanded", "false");
  el.btnHistory.focus();
}

function toggleHistory() {
  if (el.history.hidden) openHistory();
  else closeHistory();
}

el.btnHistory.addEventListener("click", toggleHistory);
el.historyClose.addEventListener("click", closeHistory);

// ---- bulk approval ----------------------------------------------------------------------------

/** The active filters in words, for the confirmation. */
function filterSummary() {
  const lines = [];
  if (filters.source_lang) lines.push(`${t("cur_source_lang")}: ${t.languageName(filters.source_lang)}`);
  if (filters.lang) lines.push(`${t("cur_target_lang")}: ${t.languageName(filters.lang)}`);
  if (filters.realm) lines.push(`${t("cur_realm")}: ${valueLabel("realm", filters.realm)}`);
  if (filters.schema) lines.push(`${t("cur_schema")}: ${valueLabel("schema", filters.schema)}`);
  if (filters.government) lines.push(`${t("cur_government")}: ${valueLabel("government", filters.government)}`);
  if (filters.q) lines.push(`${t("cur_text")}: ${filters.q}`);
  return lines;
}

function openBulk() {
  if (!client || !queue.total || busy) return;
  const count = queue.total;
  el.bulkDialog.dataset.count = String(count);
  el.bulkText.textContent = t.plural("cur_bulk_text", count);
  const chosen = filterSummary();
  const lines = chosen.length ? chosen : [t("cur_bulk_no_filter")];
  el.bulkFilters.replaceChildren(...lines.map((line) => h("li", { dir: "auto" }, line)));
  el.bulkConfirm.textContent = t.plural("cur_bulk_confirm", count);
  el.bulkDialog.returnValue = "";
  el.bulkDialog.showModal();
  el.bulkConfirm.focus();
}

el.bulkButton.addEventListener("click", openBulk);

el.bulkDialog.addEventListener("close", async () => {
  if (el.bulkDialog.returnValue !== "confirm" || !client) {
    el.bulkButton.focus();
    return;
  }
  const expected = Number(el.bulkDialog.dataset.count) || 0;
  busy = true;
  el.bulkButton.disabled = true;
  announce(t("cur_saving"));
  try {
    const done = await client.approveAll(filters, expected);
    page = 1;
    history.replaceState(null, "", pageUrl());
    await loadQueue({ select: 0 });
    el.queueStatus.textContent = `${t.plural("cur_bulk_done", Number(done.approved) || 0)} ${queueSummary()}`;
    announce(el.queueStatus.textContent);
  } catch (error) {
    if (endSessionOn(error)) return;
    const changed = error instanceof ApiError && error.status === 409;
    if (changed) await loadQueue({ select: 0 });
    el.queueStatus.classList.add("error");
    el.queueStatus.textContent = changed ? t("cur_bulk_changed") : errorMessage(error);
    announce(el.queueStatus.textContent);
  } finally {
    busy = false;
    el.bulkButton.disabled = false;
    el.queueHeading.focus();
  }
});

// ---- keyboard ---------------------------------------------------------------------------------

const SHORTCUTS = {
  j: () => move(1),
  ArrowDown: () => move(1),
  k: () => move(-1),
  ArrowUp: () => move(-1),
  e: startEdit,
  a: () => save("reviewed"),
  r: () => save("rejected"),
  h: toggleHistory,
};

document.addEventListener("keydown", (event) => {
  if (el.workspace.hidden || el.bulkDialog.open || event.isComposing || event.defaultPrevented) return;
  const inFilters = event.target instanceof Element && el.filters.contains(event.target);
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
    if (inFilters || !currentItem()) return;
    event.preventDefault();
    save("reviewed");
    return;
  }
  if (event.key === "Escape") {
    if (inFilters) return;
    if (editing) {
      event.preventDefault();
      cancelEdit();
    } else if (!el.history.hidden) {
      event.preventDefault();
      closeHistory();
    } else if (el.alert.childNodes.length) {
      event.preventDefault();
      clearAlert();
    }
    return;
  }
  if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
  const action = SHORTCUTS[event.key];
  if (!action) return;
  if (event.key.startsWith("Arrow") && event.target instanceof Element && event.target.closest("#history")) return;
  event.preventDefault();
  action();
});

// ---- start ------------------------------------------------------------------------------------

applyLanguage();
const saved = storedKey();
if (saved) {
  client = new CuratorClient(saved);
  showWorkspace();
  loadQueue({ select: 0 });
  loadFilterValues();
} else {
  showSignin("");
}
