// Building the page: elements from data, never from HTML strings (labels and
// notes come from outside and are shown as text only).

/** An element: `h('a', {href, onclick}, child, ...)`; strings become text. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    // CSSOM, not a style attribute: the page's CSP allows no inline styles.
    else if (key === 'style') el.style.cssText = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Satoshis as BTC with eight decimals. */
export function btc(sats) {
  if (sats === null || sats === undefined) return '—';
  const negative = sats < 0;
  const s = String(Math.abs(Math.round(sats))).padStart(9, '0');
  return `${negative ? '-' : ''}${s.slice(0, -8)}.${s.slice(-8)} BTC`;
}

/** A hash shortened for a node's label. */
export function short(text) {
  return text && text.length > 16 ? `${text.slice(0, 8)}…${text.slice(-6)}` : text;
}

/** A block time (Unix seconds) as a UTC date and time. */
export function when(seconds) {
  return seconds ? new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—';
}

/** A link to a page of the UI. */
export function link(kind, id, text) {
  return h('a', { href: `#/${kind}/${encodeURIComponent(id)}`, class: `link-${kind}` }, text ?? short(String(id)));
}

/** Saves bytes as a download named `name`. */
export function download(name, data, type) {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A field of CSV, quoted when it must be (and defused against spreadsheet formulas). */
export function csvField(value) {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Text made safe inside HTML (for the exported report). */
export function escapeHtml(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
