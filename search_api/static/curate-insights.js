// "What readers need", on the curator page: for one readers' language, the review backlog, the
// machine-translated records readers open most, the searches that found nothing (missing
// translations and vocabulary), and the last 30 days as small bar charts (inline SVG, drawn
// here: no library, no CDN). Data: GET /api/v1/events/overview (a curator key, the one the page
// signed in with). "Review what they read most" sets the queue to that language, most read first.
// Everything from the API is inserted as text.

import { LANGUAGES, isLanguage } from "./i18n.js";
import { h } from "./render.js";

const KEY_STORAGE = "chm-curator-key";
const DAYS = 30;
const SVG = "http://www.w3.org/2000/svg";

const STRINGS = {
  en: {
    title: "What readers need",
    language: "Readers' language",
    by_impact: "Review what they read most",
    loading: "Loading…",
    error: "The overview could not be loaded",
    backlog: "Review backlog",
    machine: "machine translations to review",
    failed: "refused by the checks",
    rejected: "rejected",
    reviewed: "reviewed",
    trend: "Last {days} days",
    searches: "Searches",
    zero_results: "Searches with no result",
    views: "Records opened",
    reviewed_daily: "Sentences reviewed",
    most_viewed: "Machine-translated records readers open most",
    zero: "Searches that found nothing",
    none: "Nothing yet.",
    reads: "{views} opened, {clicks} followed",
    times: "{count}×",
    chart: "{series}: {total} in {days} days, at most {max} a day",
  },
  fr: {
    title: "Ce dont les lecteurs ont besoin",
    language: "Langue des lecteurs",
    by_impact: "Réviser ce qu'ils lisent le plus",
    loading: "Chargement…",
    error: "L'aperçu n'a pas pu être chargé",
    backlog: "À réviser",
    machine: "traductions automatiques à réviser",
    failed: "refusées par les contrôles",
    rejected: "rejetées",
    reviewed: "révisées",
    trend: "{days} derniers jours",
    searches: "Recherches",
    zero_results: "Recherches sans résultat",
    views: "Fiches ouvertes",
    reviewed_daily: "Phrases révisées",
    most_viewed: "Fiches traduites automatiquement les plus ouvertes",
    zero: "Recherches qui n'ont rien trouvé",
    none: "Rien pour l'instant.",
    reads: "{views} ouvertures, {clicks} clics",
    times: "{count}×",
    chart: "{series} : {total} en {days} jours, au plus {max} par jour",
  },
  es: {
    title: "Lo que necesitan los lectores",
    language: "Idioma de los lectores",
    by_impact: "Revisar lo que más leen",
    loading: "Cargando…",
    error: "No se pudo cargar el resumen",
    backlog: "Pendiente de revisión",
    machine: "traducciones automáticas por revisar",
    failed: "rechazadas por los controles",
    rejected: "rechazadas",
    reviewed: "revisadas",
    trend: "Últimos {days} días",
    searches: "Búsquedas",
    zero_results: "Búsquedas sin resultados",
    views: "Registros abiertos",
    reviewed_daily: "Frases revisadas",
    most_viewed: "Registros traducidos automáticamente más abiertos",
    zero: "Búsquedas que no encontraron nada",
    none: "Nada todavía.",
    reads: "{views} aperturas, {clicks} clics",
    times: "{count}×",
    chart: "{series}: {total} en {days} días, como máximo {max} al día",
  },
  ru: {
    title: "Что нужно читателям",
    language: "Язык читателей",
    by_impact: "Проверять самое читаемое",
    loading: "Загрузка…",
    error: "Не удалось загрузить обзор",
    backlog: "Ожидает проверки",
    machine: "машинных переводов ждут проверки",
    failed: "отклонено проверками",
    rejected: "отклонено",
    reviewed: "проверено",
    trend: "Последние {days} дней",
    searches: "Поиски",
    zero_results: "Поиски без результатов",
    views: "Открытые записи",
    reviewed_daily: "Проверенные предложения",
    most_viewed: "Машинно переведённые записи, которые открывают чаще всего",
    zero: "Поиски, которые ничего не нашли",
    none: "Пока ничего.",
    reads: "открыто {views}, переходов {clicks}",
    times: "{count}×",
    chart: "{series}: {total} за {days} дней, не более {max} в день",
  },
  zh: {
    title: "读者需要什么",
    language: "读者语言",
    by_impact: "优先审校读者最常读的内容",
    loading: "正在加载…",
    error: "无法加载概览",
    backlog: "待审校",
    machine: "条机器翻译待审校",
    failed: "条未通过检查",
    rejected: "条已拒绝",
    reviewed: "条已审校",
    trend: "最近 {days} 天",
    searches: "搜索",
    zero_results: "无结果的搜索",
    views: "打开的记录",
    reviewed_daily: "已审校的句子",
    most_viewed: "读者最常打开的机器翻译记录",
    zero: "没有找到任何结果的搜索",
    none: "暂无。",
    reads: "打开 {views} 次，点击 {clicks} 次",
    times: "{count} 次",
    chart: "{series}：{days} 天共 {total}，每天最多 {max}",
  },
  ar: {
    title: "ما يحتاجه القراء",
    language: "لغة القراء",
    by_impact: "مراجعة الأكثر قراءة",
    loading: "جارٍ التحميل…",
    error: "تعذّر تحميل النظرة العامة",
    backlog: "بانتظار المراجعة",
    machine: "ترجمات آلية بانتظار المراجعة",
    failed: "رفضتها الفحوص",
    rejected: "مرفوضة",
    reviewed: "تمت مراجعتها",
    trend: "آخر {days} يومًا",
    searches: "عمليات البحث",
    zero_results: "عمليات بحث بلا نتائج",
    views: "السجلات المفتوحة",
    reviewed_daily: "الجمل المراجَعة",
    most_viewed: "السجلات المترجمة آليًا الأكثر فتحًا",
    zero: "عمليات البحث التي لم تجد شيئًا",
    none: "لا شيء بعد.",
    reads: "فُتح {views} مرة، {clicks} نقرة",
    times: "{count}×",
    chart: "{series}: {total} خلال {days} يومًا، بحد أقصى {max} في اليوم",
  },
};

const $ = (id) => document.getElementById(id);
const box = $("insights");
const langSelect = $("insights-lang");
const impactButton = $("insights-impact");
const status = $("insights-status");
const body = $("insights-body");
let controller = null;
let loaded = null;

// The page's language as curate.js set it (it announces each change with a "chm:language" event;
// the language select itself still shows its first option while this module is evaluated).
function uiLanguage() {
  const lang = document.documentElement.lang;
  return isLanguage(lang) ? lang : "en";
}

function t(key, vars = {}) {
  const text = STRINGS[uiLanguage()][key] ?? STRINGS.en[key] ?? key;
  const numbers = new Intl.NumberFormat(uiLanguage());
  return text.replace(/\{(\w+)\}/g, (_whole, name) => {
    const value = vars[name];
    return typeof value === "number" ? numbers.format(value) : String(value ?? "");
  });
}

function languageName(code) {
  try {
    return new Intl.DisplayNames([uiLanguage()], { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}

function applyLanguage() {
  for (const element of box.querySelectorAll("[data-insight]")) element.textContent = t(element.dataset.insight);
  const value = langSelect.value || queueLanguage() || uiLanguage();
  langSelect.replaceChildren(...LANGUAGES.map((code) => h("option", { value: code }, `${languageName(code)} (${code})`)));
  langSelect.value = value;
  if (loaded) render(loaded);
}

/** The queue's target language when one is chosen: the overview follows it. */
function queueLanguage() {
  const value = $("f-lang")?.value;
  return isLanguage(value) ? value : null;
}

function chart(series, values, days) {
  const width = 4 * values.length;
  const height = 32;
  const max = Math.max(1, ...values);
  const total = values.reduce((sum, n) => sum + n, 0);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height + 1}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("class", "insights-chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", t("chart", { series, total, days: values.length, max: Math.max(...values, 0) }));
  const axis = document.createElementNS(SVG, "rect");
  axis.setAttribute("class", "insights-axis");
  axis.setAttribute("x", "0");
  axis.setAttribute("y", String(height));
  axis.setAttribute("width", String(width));
  axis.setAttribute("height", "1");
  svg.append(axis);
  values.forEach((value, index) => {
    const bar = document.createElementNS(SVG, "rect");
    const barHeight = value ? Math.max(1, (value / max) * height) : 0;
    bar.setAttribute("x", String(index * 4));
    bar.setAttribute("y", String(height - barHeight));
    bar.setAttribute("width", "3");
    bar.setAttribute("height", String(barHeight));
    const tip = document.createElementNS(SVG, "title");
    tip.textContent = `${days[index]}: ${value}`;
    bar.append(tip);
    svg.append(bar);
  });
  return h("figure", { class: "insights-series" }, h("figcaption", {}, `${series} (${new Intl.NumberFormat(uiLanguage()).format(total)})`), svg);
}

function list(items, render) {
  return items.length ? h("ol", { class: "insights-list" }, ...items.map(render)) : h("p", { class: "hint" }, t("none"));
}

function render(data) {
  loaded = data;
  const days = data.trend.map((day) => day.day);
  const backlog = h(
    "dl",
    { class: "insights-backlog" },
    ...["machine", "failed", "rejected", "reviewed"].flatMap((name) => [
      h("dt", {}, new Intl.NumberFormat(uiLanguage()).format(data.backlog[name])),
      h("dd", {}, t(name)),
    ]),
  );
  const series = [
    ["searches", "searches"],
    ["zero_results", "zero_results"],
    ["views", "views"],
    ["reviewed_daily", "reviewed"],
  ].map(([label, field]) => chart(t(label), data.trend.map((day) => day[field]), days));
  const viewed = list(data.most_viewed, (record) =>
    h(
      "li",
      { "data-id": record.id },
      h("span", { class: "insights-title", lang: data.lang, dir: "auto" }, record.title || record.id),
      " ",
      h("code", {}, record.id),
      " · ",
      t("reads", { views: record.views, clicks: record.clicks }),
    ),
  );
  const zero = list(data.zero_results, (missed) =>
    h("li", {}, h("span", { lang: data.lang, dir: "auto" }, missed.query), " · ", t("times", { count: missed.searches })),
  );
  body.replaceChildren(
    h("section", { class: "insights-part" }, h("h3", {}, t("backlog")), backlog),
    h("section", { class: "insights-part insights-trend" }, h("h3", {}, t("trend", { days: data.days })), ...series),
    h("section", { class: "insights-part" }, h("h3", {}, t("most_viewed")), viewed),
    h("section", { class: "insights-part" }, h("h3", {}, t("zero")), zero),
  );
}

async function load() {
  let key = null;
  try {
    key = sessionStorage.getItem(KEY_STORAGE);
  } catch {
    key = null;
  }
  if (!key || !box.open) return;
  controller?.abort();
  controller = new AbortController();
  const url = new URL("api/v1/events/overview", new URL("..", import.meta.url));
  url.search = new URLSearchParams({ lang: langSelect.value, days: String(DAYS) }).toString();
  status.textContent = t("loading");
  try {
    const response = await fetch(url, { signal: controller.signal, headers: { "X-API-Key": key, Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
    status.textContent = "";
  } catch (error) {
    if (error.name === "AbortError") return;
    status.textContent = `${t("error")} (${error.message})`;
  }
}

impactButton.addEventListener("click", () => {
  const lang = $("f-lang");
  const order = $("f-order");
  const state = $("f-status");
  if (!lang || !order) return;
  if (state) state.value = "machine";
  lang.value = langSelect.value;
  order.value = "impact";
  order.dispatchEvent(new Event("change", { bubbles: true })); // the queue applies its filters
});

box.addEventListener("toggle", () => load());
langSelect.addEventListener("change", () => load());
document.addEventListener("chm:language", () => applyLanguage());
$("f-lang")?.addEventListener("change", () => {
  const lang = queueLanguage();
  if (lang && lang !== langSelect.value) {
    langSelect.value = lang;
    load();
  }
});
applyLanguage();
