// The /embed page inside a partner's iframe: tells the parent page how tall the widget is, so the
// iframe can grow and shrink with it (no scroll bar inside a scroll bar). The parent listens with
// the snippet in README ("Embedding: the iframe"); a height is all this page ever says.

const MESSAGE = "chm-search:resize";

let sent = 0;
function report() {
  const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
  if (height === sent || window.parent === window) return;
  sent = height;
  window.parent.postMessage({ type: MESSAGE, height }, "*");
}

new ResizeObserver(report).observe(document.documentElement);
report();
