// Readers' events for the curators (POST /api/v1/events): searches, records opened, results
// followed. Batched: queued, sent every few seconds and when the page is hidden or left, with
// navigator.sendBeacon (a text/plain body, so no CORS preflight from a partner's site), or fetch
// keepalive where there is no sendBeacon. Nothing about the reader is sent: no id, no cookie, no
// address beyond what any request carries (the server keeps none of it). Readers who ask browsers
// not to be tracked (Do Not Track, Global Privacy Control) send nothing.

const FLUSH_MS = 5000;
const MAX_BATCH = 50;

function declined() {
  return navigator.doNotTrack === "1" || window.doNotTrack === "1" || navigator.globalPrivacyControl === true;
}

export class Beacon {
  /** `base`: the service's address (the page's, or the widget's `api`); `source`: page | widget. */
  constructor(base, source) {
    this.url = new URL("api/v1/events", base).href;
    this.source = source;
    this.queue = [];
    this.timer = null;
    this.off = declined();
    if (this.off) return;
    const flush = () => this.flush();
    addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") flush();
    });
  }

  add(event) {
    if (this.off) return;
    this.queue.push(event);
    if (this.queue.length >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** A search's text, page language, result count and filters (the first page of each search). */
  search(q, lang, results, filters) {
    const chosen = Object.fromEntries(Object.entries(filters || {}).filter(([, values]) => values?.length));
    this.add({ type: "search", lang, q, results, filters: Object.keys(chosen).length ? chosen : null });
  }

  /** A record opened: in the reader's language, and whether it was shown in machine translation. */
  view(result, lang) {
    this.add({ type: "view", lang, record: result.id, machine: Boolean(result.machine_translated) });
  }

  /** A result followed, with its rank in the results and the search it came from. */
  click(result, lang, position, q) {
    this.add({ type: "click", lang, record: result.id, position, q: q || null, machine: Boolean(result.machine_translated) });
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.queue.length) return;
    const body = JSON.stringify({ events: this.queue.splice(0, MAX_BATCH), source: this.source });
    try {
      if (!(navigator.sendBeacon && navigator.sendBeacon(this.url, body))) {
        fetch(this.url, { method: "POST", body, keepalive: true, headers: { "Content-Type": "text/plain" } }).catch(() => {});
      }
    } catch {
      // events are a help for curators, never a reason for the page to fail
    }
    if (this.queue.length) this.flush();
  }
}
