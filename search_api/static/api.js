// The search state, its query-string form (the page's URL and the API use the same names), and a
// small client for /api/v1. Shared by the page and the widget.

import { DEFAULT_LANGUAGE, isLanguage } from "./i18n.js";

/** Filters that repeat in the query string: realm=ABS&realm=BCH. */
export const MULTI_FILTERS = ["realm", "schema", "government", "original_language", "entity"];
export const SORTS = ["relevance", "newest"];
const MAX_PAGE = 10000;

export function emptyState(lang = DEFAULT_LANGUAGE) {
  return {
    q: "",
    lang,
    filters: Object.fromEntries(MULTI_FILTERS.map((name) => [name, []])),
    year_from: null,
    year_to: null,
    page: 1,
    size: 10,
    sort: null, // null: relevance for words, newest when browsing (the API's default too)
  };
}

function intOrNull(value, min, max) {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isInteger(n) && n >= min && n <= max ? n : null;
}

/** A state from URL parameters; unknown or malformed values fall back to defaults. */
export function stateFromParams(params, fallbackLang = DEFAULT_LANGUAGE) {
  const state = emptyState(fallbackLang);
  state.q = params.get("q") ?? "";
  const lang = params.get("lang");
  if (isLanguage(lang)) state.lang = lang;
  for (const name of MULTI_FILTERS) {
    state.filters[name] = [...new Set(params.getAll(name).filter(Boolean))];
  }
  state.year_from = intOrNull(params.get("year_from"), 1900, 2100);
  state.year_to = intOrNull(params.get("year_to"), 1900, 2100);
  state.page = intOrNull(params.get("page"), 1, MAX_PAGE) ?? 1;
  state.size = intOrNull(params.get("size"), 1, 100) ?? state.size;
  const sort = params.get("sort");
  if (SORTS.includes(sort)) state.sort = sort;
  return state;
}

/**
 * URL parameters for `state`. `forApi` adds what the API needs even at its default (lang, size);
 * the page's own URL leaves defaults out so that links stay short.
 */
export function stateToParams(state, { forApi = false, defaultSize = 10 } = {}) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  params.set("lang", state.lang);
  for (const name of MULTI_FILTERS) {
    for (const value of state.filters[name] || []) params.append(name, value);
  }
  if (state.year_from !== null) params.set("year_from", String(state.year_from));
  if (state.year_to !== null) params.set("year_to", String(state.year_to));
  if (state.sort) params.set("sort", state.sort);
  if (state.page > 1) params.set("page", String(state.page));
  if (forApi || state.size !== defaultSize) params.set("size", String(state.size));
  return params;
}

export function hasFilters(state) {
  return MULTI_FILTERS.some((name) => state.filters[name].length) || state.year_from !== null || state.year_to !== null;
}

/**
 * An error from the API: `status` (0 when unreachable), its `code` and `message` when it sent them,
 * and `retryAfter` (seconds, from the Retry-After header) when it asked the client to wait.
 */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * The API at `base` (an absolute URL; the API lives under `base`/api/v1/). A partner's `key` goes
 * with every request (as `key=`: the server holds its searches to the key's presets).
 */
export class Client {
  constructor(base, { key = null } = {}) {
    this.key = key || null;
    const url = new URL(base, document.baseURI);
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    url.search = "";
    url.hash = "";
    this.base = url;
  }

  url(path, params) {
    const url = new URL(`api/v1/${path}`, this.base);
    const query = new URLSearchParams(params || undefined);
    if (this.key) query.set("key", this.key);
    url.search = query.toString();
    return url;
  }

  async get(path, params, signal) {
    let response;
    try {
      response = await fetch(this.url(path, params), { signal, headers: { Accept: "application/json" } });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, "unreachable", String(error.message || error));
    }
    if (!response.ok) {
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      const wait = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
      throw new ApiError(response.status, body?.error?.code, body?.error?.message, Number.isFinite(wait) ? wait : null);
    }
    return response.json();
  }

  search(state, signal) {
    return this.get("search", stateToParams(state, { forApi: true }), signal);
  }

  /** Completions for `q`: a list of strings (objects are reduced to their text). */
  async suggest(q, lang, signal) {
    const data = await this.get("suggest", new URLSearchParams({ q, lang }), signal);
    // {"suggestions": [...]}, or the OpenSearch suggestions form [q, [...]].
    const items = Array.isArray(data) ? data[1] : data?.suggestions;
    if (!Array.isArray(items)) return [];
    return items
      .map((item) => (typeof item === "string" ? item : (item?.text ?? item?.value ?? item?.label ?? "")))
      .map((text) => String(text).trim())
      .filter(Boolean);
  }

  record(id, lang, signal) {
    return this.get(`records/${encodeURIComponent(id)}`, new URLSearchParams({ lang }), signal);
  }
}
