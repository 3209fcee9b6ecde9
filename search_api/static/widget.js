// The embeddable widget, served at /widget.js (its imports are relative to that address):
//
//   <script type="module" src="https://host/widget.js"></script>
//   <chm-search api="https://host" lang="fr" realm="ABS" schema="absPermit" size="5"></chm-search>
//
// Attributes: api (base URL of the service; default: where this script came from), lang (one of
// ar en es fr ru zh; default: the browser's language), realm, schema, government (comma-separated
// presets, sent as repeated filters), size (1-100, default 5), q (an initial search),
// heading-level (2-6, default 2: the level of the result titles under the host page's own), events
// ("off": send the service no reader events; see static/events.js). Before anything is typed it
// lists the newest records of its presets. A value it cannot use is named in a console warning
// and left out (never a silent empty widget). Everything lives in a shadow root, so the host
// page's styles do not leak in and ours do not leak out; CSS custom properties (--chm-link,
// --chm-focus, --chm-border, --chm-muted, --chm-visited) theme it from outside.

import { ApiError, Client, emptyState, stateToParams } from "./static/api.js";
import { isLanguage, pickLanguage, translator } from "./static/i18n.js";
import { facetLabels, h, refusalText, renderResult, statusText } from "./static/render.js";
import { Beacon } from "./static/events.js";

const SCRIPT_BASE = new URL(".", import.meta.url);
const STYLES = ["static/results.css", "static/widget.css"].map((path) => new URL(path, SCRIPT_BASE).href);
const PRESETS = ["realm", "schema", "government"];
const REALMS = ["ABS", "BCH", "CHM"];
// What each preset accepts: its values normalised (realm codes in capitals, countries in lower
// case), or null for a value that is not one.
const NORMALISE = {
  realm: (value) => (REALMS.includes(value.toUpperCase()) ? value.toUpperCase() : null),
  schema: (value) => (/^[A-Za-z0-9]{1,100}$/.test(value) ? value : null),
  government: (value) => (/^[A-Za-z]{2}$/.test(value) ? value.toLowerCase() : null),
};
const EXPECTED = { realm: "ABS, BCH or CHM", schema: "a record type such as absPermit", government: "a two-letter country code" };
const RETRY_DEFAULT_S = 5;
const RETRY_MAX_S = 120;
let instances = 0;

function list(value) {
  return String(value || "")
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}

function warn(message) {
  console.warn(`<chm-search>: ${message}`);
}

export class ChmSearch extends HTMLElement {
  static observedAttributes = ["api", "key", "lang", "realm", "schema", "government", "size", "q"];

  constructor() {
    super();
    this.uid = `chm${(instances += 1)}`;
    this.page = 1;
    this.controller = null;
    this.built = false;
    this.attachShadow({ mode: "open" });
  }

  connectedCallback() {
    if (!this.built) this.build();
    this.applyLanguage();
    const initial = this.getAttribute("q");
    if (initial && !this.input.value) this.input.value = initial;
    // Never empty: with no query yet, the newest records of the presets.
    this.search(1);
  }

  disconnectedCallback() {
    this.controller?.abort();
    clearTimeout(this.retryTimer);
  }

  attributeChangedCallback(name, before, after) {
    if (!this.built || before === after) return;
    if (name === "lang" || name === "realm") this.applyLanguage();
    if (name === "q") this.input.value = after || "";
    if (this.searched || name === "q") this.search(1);
  }

  get uiLanguage() {
    const attribute = this.getAttribute("lang");
    if (isLanguage(attribute)) return attribute;
    if (attribute !== null && this.warned("lang", attribute)) {
      warn(`lang="${attribute}" is not one of ar, en, es, fr, ru, zh; using the browser's language`);
    }
    return pickLanguage(navigator.languages);
  }

  /** True the first time (name, value) is seen: each bad value is warned about once. */
  warned(name, value) {
    this.warnings ??= new Set();
    const key = `${name}=${value}`;
    if (this.warnings.has(key)) return false;
    this.warnings.add(key);
    return true;
  }

  /** A preset's usable values; each value it cannot use is named in a console warning. */
  preset(name) {
    const values = [];
    for (const raw of list(this.getAttribute(name))) {
      const value = NORMALISE[name](raw);
      if (value === null) {
        if (this.warned(name, raw)) warn(`${name}="${raw}" is not ${EXPECTED[name]}; ignored`);
      } else if (!values.includes(value)) {
        values.push(value);
      }
    }
    return values;
  }

  get client() {
    return new Client(this.getAttribute("api") || SCRIPT_BASE.href, { key: this.getAttribute("key") });
  }

  /** The level of the result titles' headings (heading-level="2".."6", default 2: under the host's h1). */
  get headingLevel() {
    const raw = this.getAttribute("heading-level");
    if (raw === null) return 2;
    const level = Number(raw);
    if (Number.isInteger(level) && level >= 2 && level <= 6) return level;
    if (this.warned("heading-level", raw)) warn(`heading-level="${raw}" is not a number from 2 to 6; using 2`);
    return 2;
  }

  get size() {
    const raw = this.getAttribute("size");
    const size = Number(raw || 5);
    if (Number.isInteger(size) && size >= 1 && size <= 100) return size;
    if (this.warned("size", raw)) warn(`size="${raw}" is not a whole number from 1 to 100; using 5`);
    return 5;
  }

  build() {
    this.built = true;
    const id = (name) => `${this.uid}-${name}`;
    this.input = h("input", { id: id("q"), type: "search", dir: "auto", autocomplete: "off", maxlength: "1000", part: "input" });
    this.button = h("button", { type: "submit", part: "button" });
    this.label = h("label", { for: id("q"), class: "chm-sr-only" });
    this.form = h("form", { role: "search", class: "chm-form" }, this.label, this.input, this.button);
    this.status = h("p", { class: "chm-status", role: "status", "aria-live": "polite", "aria-atomic": "true" });
    this.results = h("ol", { class: "chm-results" });
    this.prev = h("button", { type: "button", class: "chm-page", "data-page": "prev", hidden: true });
    this.next = h("button", { type: "button", class: "chm-page", "data-page": "next", hidden: true });
    this.all = h("a", { class: "chm-all", target: "_blank", rel: "noopener", hidden: true });
    this.container = h(
      "div",
      { class: "chm-widget", part: "container" },
      this.form,
      this.status,
      this.results,
      h("div", { class: "chm-footer" }, this.prev, this.next, this.all),
    );
    this.shadowRoot.replaceChildren(...STYLES.map((href) => h("link", { rel: "stylesheet", href })), this.container);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search(1);
    });
    this.results.addEventListener("click", (event) => this.noteClick(event));
    this.prev.addEventListener("click", () => this.search(this.page - 1));
    this.next.addEventListener("click", () => this.search(this.page + 1));
  }

  /** Reader events for the service's curators, unless the embedding page says events="off". */
  get beacon() {
    if (this.getAttribute("events") === "off") return null;
    this._beacon ??= new Beacon(this.getAttribute("api") || SCRIPT_BASE.href, "widget");
    return this._beacon;
  }

  noteClick(event) {
    const item = event.target.closest("a.chm-result-link")?.closest("li.chm-result");
    if (!item || !this.lastData) return;
    const index = Array.prototype.indexOf.call(this.results.children, item);
    const result = this.lastData.results[index];
    if (result) this.beacon?.click(result, this.t.lang, this.results.start + index, this.lastQuery);
  }

  applyLanguage() {
    this.t = translator(this.uiLanguage);
    const t = this.t;
    this.container.lang = t.lang;
    this.container.dir = t.dir;
    // The placeholder says what is searched: one clearing-house by name, or all three.
    const realms = this.preset("realm");
    const scoped = realms.length === 1 ? `placeholder_${realms[0]}` : null;
    this.label.textContent = scoped ? t(scoped) : t("searchLabel");
    this.input.placeholder = scoped ? t(scoped) : realms.length > 1 ? t("searchLabel") : t("searchPlaceholder");
    this.button.textContent = t("searchButton");
    this.prev.textContent = t("previous");
    this.next.textContent = t("next");
    this.all.textContent = t("viewAll");
  }

  state(page) {
    const state = emptyState(this.t.lang);
    state.q = this.input.value.trim();
    state.page = page;
    state.size = this.size;
    for (const name of PRESETS) state.filters[name] = this.preset(name);
    return state;
  }

  async search(page) {
    this.searched = true;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const state = this.state(Math.max(1, page));
    const t = this.t;
    this.container.setAttribute("aria-busy", "true");
    try {
      const data = await this.client.search(state, controller.signal);
      if (controller.signal.aborted) return;
      this.page = data.page;
      this.lastData = data;
      this.lastQuery = state.q;
      this.render(data, state);
      if (state.q && data.page === 1) this.beacon?.search(state.q, state.lang, data.total, state.filters);
    } catch (error) {
      if (error.name === "AbortError" || controller.signal.aborted) return;
      this.showError(error, page);
    } finally {
      if (this.controller === controller) this.container.setAttribute("aria-busy", "false");
    }
  }

  /** What went wrong, in words: a refused parameter, a rate limit (retried by itself), an outage. */
  showError(error, page) {
    const t = this.t;
    const status = error instanceof ApiError ? error.status : 0;
    clearTimeout(this.retryTimer);
    if (status === 429) {
      const asked = Number.isFinite(error.retryAfter) && error.retryAfter > 0 ? error.retryAfter : RETRY_DEFAULT_S;
      const seconds = Math.min(Math.ceil(asked), RETRY_MAX_S);
      this.status.textContent = t("errorRateLimited", { seconds: t.number(seconds) });
      this.retryTimer = setTimeout(() => this.search(page), seconds * 1000);
    } else if (status >= 400 && status < 500) {
      warn(`the search was refused: ${error.message}`);
      this.status.textContent = refusalText(error, t);
    } else {
      this.status.textContent = t("error");
    }
    this.status.classList.add("chm-error");
    this.results.replaceChildren();
    this.prev.hidden = this.next.hidden = this.all.hidden = true;
  }

  render(data, state) {
    const t = this.t;
    const labels = facetLabels(data.facets);
    this.status.classList.remove("chm-error");
    this.status.dataset.total = String(data.total);
    this.status.textContent = data.total === 0 ? t("noResults") : statusText(data, t);
    this.results.start = (data.page - 1) * data.size + 1;
    this.results.replaceChildren(
      ...data.results.map((result, index) =>
        renderResult(result, { t, labels, index, idPrefix: this.uid, headingLevel: this.headingLevel }),
      ),
    );
    this.prev.hidden = data.page <= 1;
    this.next.hidden = data.page * data.size >= data.total;
    const page = new URL(this.client.base);
    const params = stateToParams({ ...state, page: 1, size: 10 });
    page.search = params.toString();
    this.all.href = page.href;
    this.all.hidden = data.total === 0;
  }
}

if (!customElements.get("chm-search")) customElements.define("chm-search", ChmSearch);
