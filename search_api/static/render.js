// Rendering shared by the search page and the widget. Every value from the API goes into the DOM
// as text (textContent / text nodes); nothing is parsed as HTML. The one field that carries markup,
// `snippet` (HTML-escaped text with <mark> around matches), is split on the exact tags <mark> and
// </mark>; the pieces between them are entity-decoded and inserted as text nodes, so any other tag
// (escaped or not) shows up as literal text and can never become an element.

import { FLAGS } from "./flags/index.js";
import { dirFor } from "./i18n.js";

const FLAG_BASE = new URL("./flags/", import.meta.url);
const SVG_NS = "http://www.w3.org/2000/svg";

/** An element with attributes (set with setAttribute, names are ours) and text or node children. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

const NAMED_ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** `text` with HTML character references decoded (one pass: "&amp;lt;" gives "&lt;"). */
export function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});/g, (whole, ref) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return valid ? String.fromCodePoint(code) : "\ufffd";
    }
    return NAMED_ENTITIES[ref] ?? whole;
  });
}

/** A highlighted snippet as nodes: text, and <mark> elements holding text. Nothing else. */
export function snippetNodes(snippet) {
  const fragment = document.createDocumentFragment();
  let mark = null;
  for (const part of String(snippet).split(/(<mark>|<\/mark>)/)) {
    if (part === "<mark>") {
      mark ??= document.createElement("mark");
    } else if (part === "</mark>") {
      if (mark) fragment.append(mark);
      mark = null;
    } else if (part) {
      (mark ?? fragment).append(document.createTextNode(decodeEntities(part)));
    }
  }
  if (mark) fragment.append(mark);
  return fragment;
}

/** `url` if it is an absolute http(s) URL, else null (no javascript:, data:, …). */
export function safeHref(url) {
  if (typeof url !== "string" || !url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** value → label maps for each facet, so results can show names the API already translated. */
export function facetLabels(facets) {
  const labels = {};
  for (const [name, values] of Object.entries(facets || {})) {
    labels[name] = new Map((values || []).map((item) => [String(item.value), String(item.label ?? item.value)]));
  }
  return labels;
}

export function formatDate(date, lang) {
  if (!date) return null;
  const parsed = new Date(date);
  if (Number.isNaN(parsed.getTime())) return String(date);
  try {
    return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" }).format(parsed);
  } catch {
    return String(date);
  }
}

/** A country's name: the API's label when it is more than the code, else the browser's name for it. */
export function countryName(code, labels, t) {
  const label = labels?.government?.get(String(code));
  if (label && label.toLowerCase() !== String(code).toLowerCase()) return label;
  return /^[a-z]{2}$/i.test(String(code)) ? t.regionName(code) : String(code);
}

/** `text` cut to at most `max` characters between words, with an ellipsis where it goes on. */
export function truncate(text, max) {
  const chars = Array.from(String(text));
  if (chars.length <= max) return String(text);
  let cut = chars.slice(0, max).join("");
  const space = cut.search(/\s\S*$/);
  // A text written without spaces (Chinese) is cut where it reaches the limit.
  if (space > max / 2) cut = cut.slice(0, space);
  return `${cut.replace(/[\s,;:.\u060c\u3001\u3002-]+$/u, "")}…`;
}

/** The external-link mark: an icon only (the link's accessible name says it opens a new tab). */
export function externalMark() {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", "chm-external");
  svg.setAttribute("viewBox", "0 0 12 12");
  svg.setAttribute("width", "12");
  svg.setAttribute("height", "12");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", "M7 1h4v4M11 1 5.5 6.5M9.5 7.5V11h-8.5V2.5H4.5");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "1.4");
  svg.append(path);
  return svg;
}

/** A country's flag (from the vendored flag-icons set), or null when none is vendored. */
export function flagImage(code) {
  const lower = String(code || "").toLowerCase();
  if (!FLAGS.has(lower)) return null;
  // Decorative: the country's name is written beside it.
  return h("img", { class: "chm-flag", src: new URL(`${lower}.svg`, FLAG_BASE).href, alt: "", width: 20, height: 15, loading: "lazy" });
}

/**
 * A UI string's `template` as a list of text and nodes: each {name} is replaced by `vars[name]` (a
 * string, a node, or an array of them). The template is split first, so nothing in a value is
 * ever read as a placeholder or as HTML.
 */
export function fillNodes(template, vars = {}) {
  const parts = [];
  for (const part of String(template).split(/(\{\w+\})/)) {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name && name in vars) parts.push(...[vars[name]].flat());
    else if (part) parts.push(part);
  }
  return parts;
}

/** Items separated by `separator` (text), for a list read as part of a sentence. */
export function joinNodes(items, separator) {
  return items.flatMap((item, index) => (index ? [separator, item] : [item]));
}

/** A visually hidden note, read by screen readers. */
export function srOnly(text) {
  return h("span", { class: "chm-sr-only" }, text);
}

/**
 * One result as an <li>. `ctx`: `t` (translator), `labels` (facetLabels of the response), `index`
 * (for unique ids) and, on the page, `recordHref(result)`: the address of the record's own page; `headingLevel` (default 3) for titles.
 */
export function renderResult(result, ctx) {
  const { t, labels = {}, index = 0, recordHref = null, idPrefix = "chm", headingLevel = 3 } = ctx;
  const textLang = result.display_language || result.original_language || null;
  const textDir = textLang && textLang !== "und" ? dirFor(textLang) : "auto";
  const titleId = `${idPrefix}-result-${index}-title`;
  const href = safeHref(result.url);
  const titleText = result.title || (result.summary ? truncate(result.summary, 120) : result.id);

  // The heading keeps the page's direction (an English title in an Arabic card starts on the
  // right like everything else); the title itself is isolated in its own language and direction,
  // the words the query matched highlighted (title_highlighted: escaped text and <mark> only).
  const titleNode = h(
    "bdi",
    { lang: textLang, dir: textDir, class: "chm-title-text" },
    result.title && result.title_highlighted ? snippetNodes(result.title_highlighted) : titleText,
  );
  const title = h(`h${headingLevel}`, { class: "chm-result-title", id: titleId });
  if (href) {
    title.append(
      h(
        "a",
        { href, target: "_blank", rel: "noopener noreferrer", class: "chm-result-link" },
        titleNode,
        " ",
        externalMark(),
        srOnly(t("opensInNewTab")),
      ),
    );
  } else {
    title.append(titleNode);
  }

  // Each piece of metadata is isolated (<bdi>), so a date, a code and an English type name keep
  // their order in a right-to-left line instead of reordering into one another.
  const meta = h("p", { class: "chm-result-meta" });
  const addMeta = (node) => {
    if (meta.childNodes.length) meta.append(h("span", { class: "chm-sep", "aria-hidden": "true" }, " · "));
    meta.append(h("bdi", {}, node));
  };
  if (result.cbd_id) {
    addMeta(h("span", { class: "chm-cbd-id", title: t("cbdId"), dir: "ltr" }, result.cbd_id));
  }
  const realmName = labels.realm?.get(result.realm) ?? result.realm;
  addMeta(h("span", { class: "chm-realm", "data-realm": result.realm, title: realmName }, result.realm));
  if (result.schema) {
    addMeta(h("span", { class: "chm-schema chm-type-badge", "data-schema": result.schema }, labels.schema?.get(result.schema) ?? result.schema));
  }
  if (result.government) {
    addMeta(h("span", { class: "chm-government" }, flagImage(result.government), countryName(result.government, labels, t)));
  }
  const date = formatDate(result.date, t.lang);
  if (date) addMeta(h("time", { datetime: result.date }, date));

  const badges = h("p", { class: "chm-badges" });
  if (result.machine_translated) {
    badges.append(h("span", { class: "chm-badge chm-badge-mt", title: t("machineTranslatedHint") }, t("machineTranslated")));
  } else if (result.translation_status === "reviewed" && result.display_language === t.lang) {
    badges.append(h("span", { class: "chm-badge chm-badge-reviewed" }, t("reviewedTranslation")));
  }
  if (result.display_language && result.display_language !== t.lang) {
    badges.append(
      h("span", { class: "chm-note" }, t("notTranslated", { language: t.languageName(result.display_language) })),
    );
  }

  let body = null;
  if (result.snippet) {
    body = h("p", { class: "chm-snippet", lang: textLang, dir: textDir }, snippetNodes(result.snippet));
  } else if (result.summary) {
    body = h("p", { class: "chm-snippet", lang: textLang, dir: textDir }, truncate(result.summary, 320));
  }

  if (!body) body = h("p", { class: "chm-snippet", lang: textLang, dir: textDir, hidden: true });
  const original = result.original;
  if (original && (original.title || original.summary)) {
    badges.append(originalToggle(original, titleNode, body, t));
  }

  // The record's thesaurus keywords, labelled in the reader's language by the API.
  let keywords = null;
  if (Array.isArray(result.keywords) && result.keywords.length) {
    keywords = h(
      "p",
      { class: "chm-keywords" },
      srOnly(`${t("keywords")}: `),
      ...result.keywords.map((keyword) => h("span", { class: "chm-keyword", "data-value": keyword.value }, h("bdi", {}, keyword.label))),
    );
  }

  let actions = null;
  if (recordHref) {
    const link = h("a", { class: "chm-details", href: recordHref(result), "aria-describedby": titleId }, t("details"));
    actions = h("p", { class: "chm-actions" }, link);
  }

  return h(
    "li",
    { class: "chm-result", "data-id": result.id, "data-realm": result.realm },
    h("article", { "aria-labelledby": titleId }, title, meta, badges.childNodes.length ? badges : null, body, keywords, actions),
  );
}

/**
 * The Europeana-style switch of a translated card: its title and summary swap, in place, to the
 * record's own words (`original`: title, summary, language) and back. The shown nodes are kept
 * and put back as they were (highlights included); the original goes in as text, in its language.
 */
function originalToggle(original, titleNode, body, t) {
  const shown = {
    title: [...titleNode.childNodes],
    titleLang: titleNode.getAttribute("lang"),
    titleDir: titleNode.getAttribute("dir"),
    body: [...body.childNodes],
    bodyLang: body.getAttribute("lang"),
    bodyDir: body.getAttribute("dir"),
    bodyHidden: body.hidden,
  };
  const language = original.language;
  const dir = language && language !== "und" ? dirFor(language) : "auto";
  const showLabel = t("showOriginal", { language: t.languageName(language) });
  const button = h("button", { type: "button", class: "chm-toggle-original", "data-showing": "translation" }, showLabel);
  const set = (node, lang, direction) => {
    if (lang) node.setAttribute("lang", lang);
    else node.removeAttribute("lang");
    node.setAttribute("dir", direction || "auto");
  };
  button.addEventListener("click", () => {
    const toOriginal = button.dataset.showing !== "original";
    if (toOriginal) {
      if (original.title) {
        titleNode.replaceChildren(original.title);
        set(titleNode, language, dir);
      }
      if (original.summary) {
        body.replaceChildren(truncate(original.summary, 320));
        set(body, language, dir);
        body.hidden = false;
      }
    } else {
      titleNode.replaceChildren(...shown.title);
      set(titleNode, shown.titleLang, shown.titleDir);
      body.replaceChildren(...shown.body);
      set(body, shown.bodyLang, shown.bodyDir);
      body.hidden = shown.bodyHidden;
    }
    button.dataset.showing = toOriginal ? "original" : "translation";
    button.textContent = toOriginal ? t("showTranslation") : showLabel;
  });
  return button;
}

// The control that holds each API parameter, by the title the reader sees on it (the page's
// search box and facets; the widget's presets are the same filters).
const PARAMETER_TITLES = {
  q: "searchLabel",
  lang: "languageLabel",
  sort: "sortLabel",
  year_from: "facet_year",
  year_to: "facet_year",
  realm: "facet_realm",
  schema: "facet_schema",
  government: "facet_government",
  original_language: "facet_original_language",
  entity: "facet_entity",
};

/**
 * Why the API refused a search (an ApiError with a 4xx status), in the reader's words only: the
 * refused parameter named by its control's title ("the value given for «Año» is not valid"), a
 * key the service does not accept, or a value not valid. The API's own message is English, for
 * developers (it starts with the parameter's name, "year_from: ..."): it is read, never shown.
 */
export function refusalText(error, t) {
  if (error.status === 401 || error.code === "invalid_api_key") return t("errorKey");
  const parameter = /^([a-z_]+)(?:\.\d+)?:/u.exec(String(error.message || ""))?.[1];
  const title = Object.hasOwn(PARAMETER_TITLES, parameter) ? PARAMETER_TITLES[parameter] : null;
  return title ? t("errorInvalidNamed", { name: t(title) }) : t("errorInvalid");
}

/** The status line: "12 results" (timings are for operators and the API, not for readers). */
export function statusText(data, t) {
  return t.plural("results", data.total);
}
