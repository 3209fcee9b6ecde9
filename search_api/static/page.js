// The search page: state in the URL, facets, results, paging and suggestions; each result links to
// its record's own page (/record/{id}, rendered by the server).

import { Client, MULTI_FILTERS, ApiError, hasFilters, stateFromParams, stateToParams } from "./api.js";
import { LANGUAGES, pickLanguage, translator } from "./i18n.js";
import {
  countryName,
  facetLabels,
  fillNodes,
  h,
  joinNodes,
  refusalText,
  renderResult,
  statusText,
} from "./render.js";
import { Beacon } from "./events.js";

const FACET_ORDER = ["realm", "schema", "government", "original_language", "entity", "year"];
const FACET_PREVIEW = 8;
const TYPING_DELAY_MS = 300; // results as you type: after this pause, not on every key
const SUGGEST_DELAY_MS = 150;
// A search slower than this shows "Searching…"; a faster one never flickers it.
const LOADING_DELAY_MS = 300;
// The wait before retrying after a 429 when the server gives no Retry-After, and the most we wait.
const RETRY_DEFAULT_S = 5;
const RETRY_MAX_S = 120;
// "Also searched": terms shown before "+N more", and the order their languages are taken in.
const TERMS_PREVIEW = 6;
const TERM_LANGUAGE_ORDER = ["en", "fr", "es", "ru", "zh", "ar"];

const $ = (id) => document.getElementById(id);
const form = $("search-form");
const input = $("q");
const suggestions = $("suggestions");
const sortSelect = $("sort");
const langSelect = $("lang");
const facetsBox = $("facets");
const clearButton = $("clear-filters");
const main = $("main");
const statusLine = $("status");
const resultsList = $("results");
const resultsHeading = $("results-heading");
const pager = $("pager");
const facetsPanel = $("facets-panel");
const facetsContent = $("facets-content");
const filtersToggle = $("filters-toggle");
const filtersCount = $("filters-count");
const chipsList = $("chips");
const filtersSheet = $("filters-sheet");
const filtersSheetBody = $("filters-sheet-body");
const filtersApply = $("filters-apply");
// The width below which the facets live behind the "Filters" button (page.css uses the same).
const narrow = window.matchMedia("(max-width: 48rem)");

const client = new Client(new URL("..", import.meta.url));
const beacon = new Beacon(new URL("..", import.meta.url), "page");
let lastSearched = null;
const LAST_SEARCH = "chm-last-search";
// Under the result count: the offers to remove a filter (no results), then how the query was understood.
const relaxBox = h("div", { id: "relax", class: "relax", hidden: true });
const understoodBox = h("div", { id: "understood", class: "understood", role: "note", hidden: true });
document.getElementById("chips").after(relaxBox, understoodBox);

/** The page's state: the shared search state, and `translate` (false: translate=0 in the URL). */
function readState(params, fallbackLang) {
  const next = stateFromParams(params, fallbackLang);
  next.translate = !["0", "false"].includes(params.get("translate"));
  return next;
}

let state = readState(new URLSearchParams(location.search), pickLanguage(navigator.languages));
let t = translator(state.lang);
let lastData = null;
const expanded = new Set();
const facetQueries = new Map(); // facet name → the text typed in its filter box

// ---- language -------------------------------------------------------------------------------

function applyLanguage() {
  t = translator(state.lang);
  document.documentElement.lang = t.lang;
  document.documentElement.dir = t.dir;
  document.title = t("appTitle");
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  input.placeholder = t("searchPlaceholder");
  suggestions.setAttribute("aria-label", t("suggestions"));
  pager.setAttribute("aria-label", t("pagination"));
  langSelect.value = t.lang;
}

// ---- state and URL ----------------------------------------------------------------------------

/** The order results come in: the one asked for, else relevance for words and newest for browsing. */
function effectiveSort(current) {
  if (current.sort) return current.sort;
  return current.q.trim() && current.q.trim() !== "*" ? "relevance" : "newest";
}

function syncForm() {
  input.value = state.q;
  sortSelect.value = effectiveSort(state);
  langSelect.value = state.lang;
}

function pageParams(next) {
  const params = stateToParams(next);
  if (next.translate === false) params.set("translate", "0");
  return params;
}

function apiParams(next) {
  const params = stateToParams(next, { forApi: true });
  if (next.translate === false) params.set("translate", "false");
  return params;
}

function pageUrl(next) {
  const query = pageParams(next).toString();
  return `${location.pathname}${query ? `?${query}` : ""}`;
}

/** Make `next` the current state: into the URL (a new history entry unless `replace`) and search. */
function navigate(next, { replace = false } = {}) {
  state = next;
  const url = pageUrl(state);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  syncForm();
  return runSearch();
}

function withChanges(changes) {
  return { ...state, filters: { ...state.filters }, ...changes };
}

window.addEventListener("popstate", () => {
  state = readState(new URLSearchParams(location.search), state.lang);
  applyLanguage();
  syncForm();
  closeSuggestions();
  runSearch();
});

// ---- search ---------------------------------------------------------------------------------

let searchController = null;
let loadingTimer = 0;
let retryTimer = 0;

async function runSearch({ note = true } = {}) {
  searchController?.abort();
  clearTimeout(retryTimer);
  clearTimeout(loadingTimer);
  const controller = new AbortController();
  searchController = controller;
  main.setAttribute("aria-busy", "true");
  loadingTimer = setTimeout(() => {
    if (searchController !== controller) return;
    statusLine.className = "status loading";
    statusLine.textContent = t("loading");
  }, LOADING_DELAY_MS);
  try {
    const data = await client.get("search", apiParams(state), controller.signal);
    if (controller.signal.aborted) return;
    lastData = data;
    render(data);
    if (note) noteSearch(data);
  } catch (error) {
    if (error.name === "AbortError" || controller.signal.aborted) return;
    showError(error);
  } finally {
    if (searchController === controller) {
      clearTimeout(loadingTimer);
      main.setAttribute("aria-busy", "false");
    }
  }
}

/**
 * For the curators: each new search with text, once (not its other pages, nor its results shown
 * again on coming Back from a record: the last one reported is remembered in this tab only).
 */
function noteSearch(data) {
  const key = JSON.stringify([state.q, state.lang, state.filters, state.year_from, state.year_to]);
  if (!state.q.trim() || data.page !== 1 || key === lastSearched) return;
  lastSearched = key;
  try {
    if (sessionStorage.getItem(LAST_SEARCH) === key) return;
    sessionStorage.setItem(LAST_SEARCH, key);
  } catch {
    // storage refused: this page's memory (lastSearched) still avoids most repeats
  }
  const years = { year_from: state.year_from ? [String(state.year_from)] : [], year_to: state.year_to ? [String(state.year_to)] : [] };
  beacon.search(state.q.trim(), state.lang, data.total, { ...state.filters, ...years });
}

// A result followed: its page here is a record view in the reader's language; its link to the
// clearing-house a click (both leave this page, which sends what is queued).
resultsList.addEventListener("click", (event) => {
  const link = event.target.closest("a.chm-result-link, a.chm-details");
  const item = link?.closest("li.chm-result");
  if (!item || !lastData) return;
  const index = Array.prototype.indexOf.call(resultsList.children, item);
  const result = lastData.results[index];
  if (!result) return;
  if (link.classList.contains("chm-details")) beacon.view(result, state.lang);
  else beacon.click(result, state.lang, resultsList.start + index, state.q);
});

/**
 * Why the search failed, in the reader's words: a parameter the API refused (its message names
 * it), too many searches (retried by itself after the wait the server asked for), or the service
 * not answering (with a button to try again).
 */
function showError(error) {
  const status = error instanceof ApiError ? error.status : 0;
  let kind = "outage";
  let actions = null;
  if (status === 429) {
    kind = "rate-limited";
    const asked = Number.isFinite(error.retryAfter) && error.retryAfter > 0 ? error.retryAfter : RETRY_DEFAULT_S;
    const seconds = Math.min(Math.ceil(asked), RETRY_MAX_S);
    statusLine.textContent = t("errorRateLimited", { seconds: t.number(seconds) });
    retryTimer = setTimeout(() => runSearch(), seconds * 1000);
  } else if (status >= 400 && status < 500) {
    kind = "invalid";
    // In the reader's words; the API's English detail goes to the console, for developers.
    console.warn(`chm-search: the search was refused: ${error.message}`);
    statusLine.textContent = refusalText(error, t);
  } else {
    statusLine.textContent = t("error");
    const retry = h("button", { type: "button", class: "relax-remove", id: "retry", "data-key": "retry" }, t("retry"));
    retry.addEventListener("click", () => runSearch());
    actions = h("p", { class: "relax-none" }, retry);
  }
  statusLine.className = "status error";
  statusLine.dataset.state = kind;
  // The filters stay removable: often one of them is what the API refused.
  renderChips(lastData ? facetLabels(lastData.facets) : {});
  statusLine.dataset.total = "";
  resultsList.replaceChildren();
  pager.replaceChildren();
  keepFocus([relaxBox, understoodBox], () => {
    relaxBox.replaceChildren(...(actions ? [actions] : []));
    relaxBox.hidden = !actions;
    understoodBox.replaceChildren();
    understoodBox.hidden = true;
  });
}

function render(data) {
  const labels = facetLabels(data.facets);
  const offers = data.total === 0 ? (data.interpretation?.without_filter ?? []) : [];
  statusLine.className = "status";
  delete statusLine.dataset.state;
  statusLine.dataset.total = String(data.total);
  statusLine.textContent = data.total === 0 ? t(offers.length ? "noResultsFiltered" : "noResults") : statusText(data, t);
  keepFocus([relaxBox, understoodBox], () => {
    renderRelax(offers, labels);
    renderUnderstood(data.interpretation);
  });
  resultsList.start = (data.page - 1) * data.size + 1;
  resultsList.replaceChildren(
    ...data.results.map((result, index) => renderResult(result, { t, labels, index, recordHref })),
  );
  renderFacets(data, labels);
  renderChips(labels);
  renderPager(data);
  renderExport(data);
  filtersApply.textContent = t("showResults", { results: t.plural("results", data.total) });
}

// ---- export of the current results ----------------------------------------------------------

const exportBox = h("p", { id: "export", class: "export", hidden: true });
pager.after(exportBox);

/** Links that download every result of the current search (all pages) as CSV or JSON. */
function renderExport(data) {
  exportBox.hidden = data.total === 0;
  if (exportBox.hidden) return;
  const params = apiParams(state);
  for (const name of ["page", "size", "cursor"]) params.delete(name);
  const link = (format, label) => {
    const query = new URLSearchParams(params);
    query.set("format", format);
    return h("a", { href: client.url("search/export", query).href, download: "", "data-format": format }, label);
  };
  exportBox.replaceChildren(`${t("exportLabel")}: `, link("csv", t("exportCsv")), " · ", link("json", t("exportJson")));
}

/** The record's own page, in the reader's language (Back returns to these results). */
function recordHref(result) {
  return `record/${encodeURIComponent(result.id)}?lang=${encodeURIComponent(state.lang)}`;
}

// ---- how the query was understood -----------------------------------------------------------

/**
 * Run `update`, which rebuilds `boxes`; a control in them that had the focus gets it back (found
 * again by its data-key), and if it is gone the focus goes to the results heading, not the body.
 */
function keepFocus(boxes, update) {
  const active = document.activeElement;
  const inside = boxes.some((box) => box.contains(active));
  const key = inside ? active.dataset?.key : null;
  update();
  if (!inside) return;
  const again = key ? boxes.flatMap((box) => [...box.querySelectorAll("[data-key]")]).find((el) => el.dataset.key === key) : null;
  (again ?? resultsHeading).focus();
}

let termsOpen = false;
let termsQuery = null;
let lastQueryLanguage = null;

function languageRank(code) {
  if (!code || code === "und") return 100;
  if (code === state.lang) return -1;
  if (code === lastQueryLanguage) return 50; // the query's own language (not the page's): least news
  const index = TERM_LANGUAGE_ORDER.indexOf(code);
  return index === -1 ? TERM_LANGUAGE_ORDER.length : index;
}

/** Entries one language at a time in turn (the page's first, the query's last), each language's order kept. */
function interleaveByLanguage(entries) {
  const buckets = new Map();
  for (const entry of entries) {
    if (!buckets.has(entry.language)) buckets.set(entry.language, []);
    buckets.get(entry.language).push(entry);
  }
  const queues = [...buckets.entries()].sort((a, b) => languageRank(a[0]) - languageRank(b[0])).map(([, list]) => list);
  const ordered = [];
  for (let round = 0; ordered.length < entries.length; round += 1) {
    for (const queue of queues) if (round < queue.length) ordered.push(queue[round]);
  }
  return ordered;
}

/**
 * What else was searched, in groups: the machine translations of the query (one entry each, with
 * what each found), then the vocabulary's terms for each phrase it recognised (the expansions of
 * one phrase merged). Terms are deduplicated across groups, and the query as typed is left out.
 */
function termGroups(interpretation, typedQuery) {
  const seen = new Set([`*\u0000${String(typedQuery).trim().toLocaleLowerCase()}`]);
  const fresh = (text, language, typed = "") => {
    const folded = text.toLocaleLowerCase();
    const key = `${language}\u0000${folded}`;
    if (!text || seen.has(key) || seen.has(`*\u0000${folded}`) || folded === typed.toLocaleLowerCase()) return false;
    seen.add(key);
    return true;
  };
  const groups = [];
  const translations = [];
  for (const item of interpretation.translations ?? []) {
    const text = String(item?.text ?? "").trim();
    const language = String(item?.language || "und");
    if (!fresh(text, language)) continue;
    const matched = Number(item.matched) || 0;
    translations.push({ text, language, translated: true, matched, pair: item.pair, model: item.model });
  }
  if (translations.length) groups.push({ kind: "translation", typed: null, matched: null, entries: translations });
  const byPhrase = new Map();
  for (const expansion of interpretation.expansions ?? []) {
    const typed = String(expansion?.typed ?? "").trim();
    let group = byPhrase.get(typed.toLocaleLowerCase());
    if (!group) {
      group = { kind: "expansion", typed, matched: 0, entries: [] };
      byPhrase.set(typed.toLocaleLowerCase(), group);
      groups.push(group);
    }
    // Several concepts for one phrase (a synonym set and a glossary entry): the larger count.
    group.matched = Math.max(group.matched, Number(expansion.matched) || 0);
    for (const term of expansion.added ?? []) {
      const text = String(term?.text ?? "").trim();
      const language = String(term?.language || "und");
      if (fresh(text, language, typed)) group.entries.push({ text, language, translated: false });
    }
  }
  for (const group of groups) if (group.kind === "expansion") group.entries = interleaveByLanguage(group.entries);
  return groups.filter((group) => group.entries.length);
}

/** The entries of each group shown before "+N more": taken from the groups in turn. */
function previewEntries(groups, limit) {
  const shown = groups.map(() => []);
  for (let round = 0, taken = 0; taken < limit; round += 1) {
    let any = false;
    groups.forEach((group, index) => {
      if (taken < limit && round < group.entries.length) {
        shown[index].push(group.entries[round]);
        taken += 1;
        any = true;
      }
    });
    if (!any) break;
  }
  return shown;
}

function renderTerm(entry) {
  const known = entry.language && entry.language !== "und";
  const term = h(
    "span",
    { class: entry.translated ? "term term-translated" : "term", "data-language": entry.language },
    h("bdi", { lang: known ? entry.language : null }, entry.text),
  );
  if (entry.translated) {
    const how = [t("termTranslatedHint"), entry.pair, entry.model].filter(Boolean).join(" · ");
    const note = t("termTranslated", { language: known ? t.languageName(entry.language) : "", results: t.plural("results", entry.matched) });
    term.append(" ", h("span", { class: "term-note", title: how }, note));
  } else if (known) {
    term.append(" ", h("span", { class: "term-note" }, t("termLanguage", { language: t.languageName(entry.language) })));
  }
  return term;
}

function renderAlsoSearched(groups) {
  const total = groups.reduce((sum, group) => sum + group.entries.length, 0);
  const folds = total > TERMS_PREVIEW + 1; // never "+1 more": that one fits
  const shown = folds && !termsOpen ? previewEntries(groups, TERMS_PREVIEW) : groups.map((group) => group.entries);
  const several = groups.length > 1;
  const line = h("p", { class: "also-searched", id: "also-searched" }, h("span", { class: "understood-label" }, t("alsoSearched")), " ");
  let written = 0;
  groups.forEach((group, index) => {
    const entries = shown[index];
    if (!entries.length) return;
    const span = h("span", { class: "term-group", "data-kind": group.kind });
    if (several && group.kind === "expansion") {
      span.append(h("span", { class: "term-phrase" }, fillNodes(t("groupFor"), { typed: h("bdi", {}, group.typed) })), " ");
    }
    span.append(...joinNodes(entries.map(renderTerm), t("listSep")));
    // What a phrase's terms found is worth saying when there is something to compare it with.
    if (several && group.kind === "expansion") {
      span.append(" ", h("span", { class: "term-found" }, t("groupFound", { results: t.plural("results", group.matched) })));
    }
    if (written) line.append(t("groupSep"));
    line.append(span);
    written += 1;
  });
  if (folds) {
    const hidden = total - shown.reduce((sum, entries) => sum + entries.length, 0);
    const more = h(
      "button",
      { type: "button", class: "link-button terms-more", "aria-expanded": String(termsOpen), "data-key": "terms-more" },
      termsOpen ? t("showLess") : t("moreTerms", { count: t.number(hidden) }),
    );
    more.addEventListener("click", () => {
      termsOpen = !termsOpen;
      if (lastData) keepFocus([understoodBox], () => renderUnderstood(lastData.interpretation));
    });
    line.append(" ", more);
  }
  return line;
}

function renderUnderstood(interpretation) {
  if (termsQuery !== state.q) {
    termsOpen = false;
    termsQuery = state.q;
  }
  const parts = [];
  const suggestion = interpretation?.did_you_mean;
  if (suggestion?.text) parts.push(renderDidYouMean(suggestion));
  if (interpretation) {
    lastQueryLanguage = interpretation.query_language ?? null;
    const groups = termGroups(interpretation, state.q);
    if (groups.length) parts.push(renderAlsoSearched(groups));
    const ignored = (interpretation.ignored ?? []).map((piece) => String(piece)).filter((piece) => piece.trim());
    if (ignored.length) {
      const items = joinNodes(
        ignored.map((piece) => h("bdi", { class: "ignored-piece" }, piece)),
        t("listSep"),
      );
      parts.push(h("p", { class: "understood-ignored" }, fillNodes(t("ignoredNote"), { items })));
    }
  }
  // Turning translation off (and on again) is offered once it has been used, or while it is off.
  if ((interpretation?.translations ?? []).length || state.translate === false) {
    const box = h("input", { type: "checkbox", id: "translate-query", "data-key": "translate-query" });
    box.checked = state.translate !== false;
    box.addEventListener("change", () => navigate(withChanges({ translate: box.checked, page: 1 })));
    parts.push(h("p", { class: "translate-toggle" }, h("label", {}, box, " ", t("translateQuery"))));
  }
  understoodBox.replaceChildren(...parts);
  understoodBox.hidden = !parts.length;
  if (parts.length) understoodBox.setAttribute("aria-label", t("understoodLabel"));
}

/** "Did you mean …?": a link that runs the suggested query (the index's own spelling). */
function renderDidYouMean(suggestion) {
  const next = withChanges({ q: String(suggestion.text), page: 1 });
  const link = h("a", { href: pageUrl(next), class: "did-you-mean-link", "data-key": "did-you-mean" }, h("bdi", {}, String(suggestion.text)));
  link.addEventListener("click", (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(next);
  });
  const results = t.plural("results", Number(suggestion.total));
  return h("p", { class: "did-you-mean", id: "did-you-mean" }, fillNodes(t("didYouMean"), { query: link, results }));
}

// ---- no results with these filters ----------------------------------------------------------

/** The state's key for one of `without_filter`'s filters: realm, entity.country, year … */
function relaxKey(filter) {
  return String(filter).replace(/^entity_/, "entity.");
}

function filterTitle(key) {
  if (key.startsWith("entity.")) {
    const name = `entity_${key.slice("entity.".length)}`;
    return t(name) === name ? t("facet_entity") : t(name);
  }
  const name = `facet_${key}`;
  return t(name) === name ? key : t(name);
}

function filterValueLabel(key, value, labels) {
  if (key === "government") return countryName(value, labels, t);
  const label = labels[key.replace(".", "_")]?.get(value) ?? labels[key]?.get(value) ?? labels.entity?.get(value);
  if (label && label !== value) return label;
  const country = /^country:([a-z]{2})$/i.exec(value);
  return country ? t.regionName(country[1]) : value;
}

function filterValues(key, offer, labels) {
  if (key === "year") {
    const { year_from: from, year_to: to } = state;
    if (from !== null && to !== null) return [from === to ? String(from) : `${from}–${to}`];
    if (from !== null) return [`${t("yearFrom")} ${from}`];
    if (to !== null) return [`${t("yearTo")} ${to}`];
    return (offer.values ?? []).map(String);
  }
  return (offer.values ?? []).map((value) => filterValueLabel(key, String(value), labels));
}

function withoutFilter(key) {
  const next = withChanges({ page: 1 });
  if (key === "year") {
    next.year_from = null;
    next.year_to = null;
  } else if (key.startsWith("entity.")) {
    const prefix = `${key.slice("entity.".length)}:`;
    next.filters.entity = (next.filters.entity ?? []).filter((value) => !value.startsWith(prefix));
  } else if (key in next.filters) {
    next.filters[key] = [];
  }
  return next;
}

function renderRelax(offers, labels) {
  if (!offers.length) {
    relaxBox.replaceChildren();
    relaxBox.hidden = true;
    return;
  }
  const useful = offers.filter((offer) => Number(offer.total) > 0).sort((a, b) => b.total - a.total);
  const items = useful.map((offer) => {
    const key = relaxKey(offer.filter);
    const title = filterTitle(key);
    const values = filterValues(key, offer, labels);
    const name = [h("strong", {}, title)];
    if (values.length) name.push(" (", ...joinNodes(values.map((value) => h("bdi", {}, value)), t("listSep")), ")");
    const button = h(
      "button",
      {
        type: "button",
        class: "relax-remove",
        "data-key": `relax:${key}`,
        "aria-label": t("removeFilterLabel", { filter: values.length ? `${title} (${values.join(t("listSep"))})` : title }),
      },
      t("removeFilter"),
    );
    button.addEventListener("click", () => navigate(withoutFilter(key)));
    return h(
      "li",
      { "data-filter": key },
      h("span", { class: "relax-text" }, fillNodes(t("withoutFilter"), { filter: name, results: t.plural("results", Number(offer.total)) })),
      " ",
      button,
    );
  });
  if (items.length) {
    relaxBox.replaceChildren(h("ul", { class: "relax-list" }, items));
  } else {
    const clear = h("button", { type: "button", class: "relax-remove", "data-key": "relax:all" }, t("clearFilters"));
    clear.addEventListener("click", () => clearButton.click());
    relaxBox.replaceChildren(h("p", { class: "relax-none" }, t("noSingleFilter"), " ", clear));
  }
  relaxBox.hidden = false;
}

// ---- facets ---------------------------------------------------------------------------------

/** The filter parameter a facet sets, and the value it sends (entity facets split by type send type:id). */
function facetParam(name) {
  return name === "entity" || name.startsWith("entity_") ? "entity" : name;
}

function facetFilterValue(name, value) {
  if (name.startsWith("entity_") && !value.includes(":")) return `${name.slice("entity_".length)}:${value}`;
  return value;
}

function facetTitle(name) {
  if (name.startsWith("entity_")) return t(name);
  return t(`facet_${name}`);
}

function valueLabel(name, item, labels) {
  const value = String(item.value);
  const label = String(item.label ?? value);
  if (name === "government") return countryName(value, labels, t);
  const country = /^country:([a-z]{2})$/i.exec(value);
  if (country && label === value) return t.regionName(country[1]);
  return label;
}

function orderedFacetNames(facets) {
  const names = Object.keys(facets || {});
  const rank = (name) => {
    const base = name.startsWith("entity_") ? "entity" : name;
    const index = FACET_ORDER.indexOf(base);
    return index === -1 ? FACET_ORDER.length : index;
  };
  return names
    .filter((name) => name === "year" || MULTI_FILTERS.includes(facetParam(name)))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function renderFacets(data, labels) {
  const focusedKey = document.activeElement?.closest?.("#facets") ? document.activeElement.dataset.key : null;
  const boxes = [];
  for (const name of orderedFacetNames(data.facets)) {
    const box = name === "year" ? renderYearFacet(data.facets.year || []) : renderFacet(name, data.facets[name] || [], labels);
    if (box) boxes.push(box);
  }
  facetsBox.replaceChildren(...boxes);
  clearButton.hidden = !hasFilters(state);
  if (focusedKey) {
    const again = [...facetsBox.querySelectorAll("[data-key]")].find((element) => element.dataset.key === focusedKey);
    again?.focus();
  }
}

function renderFacet(name, values, labels) {
  const param = facetParam(name);
  const selected = new Set(state.filters[param]);
  const items = values.map((item) => ({ ...item, filter: facetFilterValue(name, String(item.value)) }));
  for (const filter of selected) {
    const belongs = name === param || filter.startsWith(`${name.slice("entity_".length)}:`);
    if (belongs && !items.some((item) => item.filter === filter)) {
      items.push({ value: filter, label: filter, count: 0, filter });
    }
  }
  if (!items.length) return null;
  const isOpen = expanded.has(name);
  const legendId = `facet-${name}-legend`;
  const itemNode = (item) => {
    const key = `${name}=${item.filter}`;
    const checkbox = h("input", { type: "checkbox", name: param, value: item.filter, "data-key": key });
    checkbox.checked = selected.has(item.filter);
    checkbox.addEventListener("change", () => toggleFilter(param, item.filter, checkbox.checked));
    return h(
      "li",
      {},
      h(
        "label",
        {},
        checkbox,
        h("span", { class: "facet-label" }, valueLabel(name, item, labels)),
        h("span", { class: "facet-count" }, t.number(item.count)),
      ),
    );
  };
  const filterText = facetQueries.get(name) ?? "";
  const shownItems = () => {
    const wanted = folded(facetQueries.get(name) ?? "");
    if (wanted) return items.filter((item) => folded(valueLabel(name, item, labels)).includes(wanted) || selected.has(item.filter));
    return isOpen ? items : items.filter((item, index) => index < FACET_PREVIEW || selected.has(item.filter));
  };
  const list = h("ul", {}, shownItems().map(itemNode));
  const fieldset = h("fieldset", { class: "facet", "data-facet": name }, h("legend", { id: legendId }, facetTitle(name)));
  if (items.length > FACET_PREVIEW) {
    // A long facet (countries, mentions) gets a box that narrows its list as you type.
    const none = h("p", { class: "facet-none", role: "status" });
    const box = h("input", {
      type: "search",
      class: "facet-filter",
      "aria-label": t("facetFilter", { facet: facetTitle(name) }),
      placeholder: t("facetFilter", { facet: facetTitle(name) }),
      "data-key": `${name}:filter`,
      autocomplete: "off",
      value: filterText,
    });
    const refresh = () => {
      const found = shownItems();
      list.replaceChildren(...found.map(itemNode));
      none.textContent = found.length ? "" : t("facetFilterNone");
      more.hidden = Boolean(facetQueries.get(name));
    };
    box.addEventListener("input", () => {
      if (box.value.trim()) facetQueries.set(name, box.value);
      else facetQueries.delete(name);
      refresh();
    });
    const more = h(
      "button",
      { type: "button", class: "link-button", "aria-expanded": String(isOpen), "data-key": `${name}:more` },
      isOpen ? t("showLess") : t("showMore", { count: t.number(items.length) }),
    );
    more.hidden = Boolean(filterText.trim());
    more.addEventListener("click", () => {
      if (expanded.has(name)) expanded.delete(name);
      else expanded.add(name);
      if (lastData) renderFacets(lastData, facetLabels(lastData.facets));
    });
    fieldset.append(box, list, none, more);
  } else {
    fieldset.append(list);
  }
  return fieldset;
}

/** Text compared without case or accents ("peru" finds "Perú"). */
function folded(text) {
  return String(text).normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase().trim();
}

function renderYearFacet(values) {
  const years = new Map(values.map((item) => [Number(item.value), item.count]));
  for (const chosen of [state.year_from, state.year_to]) {
    if (chosen !== null && !years.has(chosen)) years.set(chosen, 0);
  }
  if (!years.size) return null;
  const sorted = [...years.keys()].filter(Number.isInteger).sort((a, b) => a - b);
  const select = (field, labelKey) => {
    const id = `facet-${field}`;
    const element = h(
      "select",
      { id, "data-key": field },
      h("option", { value: "" }, t("anyYear")),
      sorted.map((year) => h("option", { value: String(year) }, `${year} (${t.number(years.get(year))})`)),
    );
    element.value = state[field] === null ? "" : String(state[field]);
    element.addEventListener("change", () => {
      const value = element.value ? Number(element.value) : null;
      navigate(withChanges({ [field]: value, page: 1 }));
    });
    return h("label", { for: id }, t(labelKey), element);
  };
  return h(
    "fieldset",
    { class: "facet", "data-facet": "year" },
    h("legend", {}, t("facet_year")),
    h("div", { class: "facet-years" }, select("year_from", "yearFrom"), select("year_to", "yearTo")),
  );
}

function toggleFilter(param, value, on) {
  const current = state.filters[param] || [];
  const values = on ? [...new Set([...current, value])] : current.filter((item) => item !== value);
  const next = withChanges({ page: 1 });
  next.filters[param] = values;
  navigate(next);
}

clearButton.addEventListener("click", () => {
  const next = withChanges({ page: 1, year_from: null, year_to: null });
  for (const name of MULTI_FILTERS) next.filters[name] = [];
  navigate(next);
  input.focus();
});

// ---- active filters as chips, and the filters sheet on a phone ------------------------------

/** Every active filter: its facet's title, its value's label, and how to remove just it. */
function activeFilters(labels) {
  const chips = [];
  for (const name of MULTI_FILTERS) {
    for (const value of state.filters[name] || []) {
      const key = name === "entity" ? `entity.${value.slice(0, value.indexOf(":"))}` : name;
      chips.push({ key: `chip:${name}=${value}`, title: filterTitle(key), label: filterValueLabel(key, value, labels), remove: () => toggleFilter(name, value, false) });
    }
  }
  if (state.year_from !== null || state.year_to !== null) {
    const [label] = filterValues("year", {}, labels);
    chips.push({ key: "chip:year", title: t("facet_year"), label, remove: () => navigate(withoutFilter("year")) });
  }
  return chips;
}

function renderChips(labels) {
  const chips = activeFilters(labels);
  keepFocus([chipsList], () => {
    chipsList.replaceChildren(
      ...chips.map((chip) => {
        const button = h(
          "button",
          {
            type: "button",
            class: "chip",
            "data-key": chip.key,
            "aria-label": t("removeChip", { filter: t("labelled", { title: chip.title, value: chip.label }) }),
          },
          fillNodes(t("labelled"), { title: h("span", { class: "chip-title" }, chip.title), value: h("bdi", {}, chip.label) }),
          h("span", { class: "chip-x", "aria-hidden": "true" }, "×"),
        );
        button.addEventListener("click", chip.remove);
        return h("li", {}, button);
      }),
    );
  });
  chipsList.hidden = !chips.length;
  chipsList.setAttribute("aria-label", t("activeFilters"));
  filtersCount.hidden = !chips.length;
  filtersCount.textContent = chips.length ? `(${t.number(chips.length)})` : "";
}

// The sheet holds the very facets of the side column (moved, not copied), so both stay one form.
filtersToggle.addEventListener("click", () => {
  filtersSheetBody.append(facetsContent);
  filtersSheet.showModal();
});
// The facets go back before the sheet closes: the dialog's "close" event comes a task later, and in
// between the column would have no facets at all.
function closeFilters() {
  facetsPanel.append(facetsContent);
  filtersSheet.close();
}
filtersApply.addEventListener("click", closeFilters);
$("filters-close").addEventListener("click", closeFilters);
filtersSheet.addEventListener("close", () => {
  // Escape closes the dialog without our buttons.
  if (facetsContent.parentElement !== facetsPanel) facetsPanel.append(facetsContent);
  if (narrow.matches) filtersToggle.focus();
});
narrow.addEventListener("change", () => {
  if (!narrow.matches && filtersSheet.open) closeFilters();
});

// ---- paging ---------------------------------------------------------------------------------

function pageNumbers(current, last) {
  const pages = new Set([1, last]);
  for (let n = current - 2; n <= current + 2; n += 1) if (n >= 1 && n <= last) pages.add(n);
  const sorted = [...pages].sort((a, b) => a - b);
  const withGaps = [];
  for (const n of sorted) {
    if (withGaps.length && n - withGaps[withGaps.length - 1] > 1) withGaps.push(null);
    withGaps.push(n);
  }
  return withGaps;
}

function renderPager(data) {
  const last = Math.min(Math.ceil(data.total / data.size), 10000);
  if (last <= 1) {
    pager.replaceChildren();
    return;
  }
  const link = (page, text, attrs = {}) => {
    const anchor = h("a", { href: pageUrl(withChanges({ page })), ...attrs }, text);
    anchor.addEventListener("click", (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      navigate(withChanges({ page })).then(() => {
        resultsHeading.focus();
        resultsHeading.scrollIntoView({ block: "start" });
      });
    });
    return h("li", {}, anchor);
  };
  const items = [];
  if (data.page > 1) items.push(link(data.page - 1, t("previous"), { rel: "prev", "data-page": "prev" }));
  for (const n of pageNumbers(data.page, last)) {
    if (n === null) {
      items.push(h("li", {}, h("span", { "aria-hidden": "true" }, "…")));
    } else {
      const attrs = { "aria-label": t("pageN", { n: t.number(n) }), "data-page": String(n) };
      if (n === data.page) attrs["aria-current"] = "page";
      items.push(link(n, t.number(n), attrs));
    }
  }
  if (data.page < last) items.push(link(data.page + 1, t("next"), { rel: "next", "data-page": "next" }));
  pager.replaceChildren(h("ul", {}, items));
}

// ---- form, sort, language -------------------------------------------------------------------

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(typingTimer);
  closeSuggestions();
  navigate(withChanges({ q: input.value.trim(), page: 1 }));
});

sortSelect.addEventListener("change", () => navigate(withChanges({ sort: sortSelect.value, page: 1 })));

langSelect.addEventListener("change", () => {
  if (!LANGUAGES.includes(langSelect.value)) return;
  state = withChanges({ lang: langSelect.value });
  applyLanguage();
  navigate(state);
});

// ---- suggestions (combobox) -----------------------------------------------------------------

let suggestEnabled = true;
let suggestTimer = 0;
let suggestController = null;
let activeSuggestion = -1;

function suggestionItems() {
  return [...suggestions.querySelectorAll('[role="option"]')];
}

function closeSuggestions() {
  clearTimeout(suggestTimer);
  suggestController?.abort();
  suggestions.hidden = true;
  suggestions.replaceChildren();
  input.setAttribute("aria-expanded", "false");
  input.removeAttribute("aria-activedescendant");
  activeSuggestion = -1;
}

function setActiveSuggestion(index) {
  const items = suggestionItems();
  if (!items.length) return;
  activeSuggestion = (index + items.length) % items.length;
  items.forEach((item, i) => item.setAttribute("aria-selected", String(i === activeSuggestion)));
  input.setAttribute("aria-activedescendant", items[activeSuggestion].id);
}

function chooseSuggestion(text) {
  input.value = text;
  closeSuggestions();
  form.requestSubmit();
}

async function fetchSuggestions(text) {
  suggestController?.abort();
  const controller = new AbortController();
  suggestController = controller;
  try {
    const found = await client.suggest(text, state.lang, controller.signal);
    if (controller.signal.aborted || input.value.trim() !== text || document.activeElement !== input) return;
    const unique = [...new Set(found)].filter((item) => item !== text).slice(0, 8);
    if (!unique.length) {
      closeSuggestions();
      return;
    }
    suggestions.replaceChildren(
      ...unique.map((item, index) => {
        const option = h("li", { role: "option", id: `suggestion-${index}`, "aria-selected": "false" }, item);
        option.addEventListener("mousedown", (event) => event.preventDefault());
        option.addEventListener("click", () => chooseSuggestion(item));
        return option;
      }),
    );
    activeSuggestion = -1;
    suggestions.hidden = false;
    input.setAttribute("aria-expanded", "true");
  } catch (error) {
    if (error.name === "AbortError") return;
    // No suggest endpoint (yet) on this server: stop asking; any other failure: just no list this time.
    if (error instanceof ApiError && [404, 405, 501].includes(error.status)) suggestEnabled = false;
    closeSuggestions();
  }
}

// Results as you type: after a pause, the search runs and the URL follows (replaceState: typing
// is not a trail of history entries; Enter still makes one). Curators are told of submitted
// searches only, not of every prefix on the way.
let typingTimer = 0;
input.addEventListener("input", () => {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    const text = input.value.trim();
    if (text === state.q || (text.length > 0 && text.length < 2)) return;
    state = withChanges({ q: text, page: 1 });
    history.replaceState(null, "", pageUrl(state));
    runSearch({ note: false });
  }, TYPING_DELAY_MS);
});

input.addEventListener("input", () => {
  clearTimeout(suggestTimer);
  const text = input.value.trim();
  if (!suggestEnabled || text.length < 2) {
    closeSuggestions();
    return;
  }
  suggestTimer = setTimeout(() => fetchSuggestions(text), SUGGEST_DELAY_MS);
});

input.addEventListener("keydown", (event) => {
  const open = !suggestions.hidden;
  if (event.key === "ArrowDown" && open) {
    event.preventDefault();
    setActiveSuggestion(activeSuggestion + 1);
  } else if (event.key === "ArrowUp" && open) {
    event.preventDefault();
    setActiveSuggestion(activeSuggestion - 1);
  } else if (event.key === "Enter" && open && activeSuggestion >= 0) {
    event.preventDefault();
    chooseSuggestion(suggestionItems()[activeSuggestion].textContent);
  } else if (event.key === "Escape" && open) {
    event.preventDefault();
    closeSuggestions();
  } else if (event.key === "Tab") {
    closeSuggestions();
  }
});

input.addEventListener("blur", () => closeSuggestions());

// ---- start ----------------------------------------------------------------------------------

applyLanguage();
syncForm();
runSearch();
