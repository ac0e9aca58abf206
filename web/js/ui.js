// Small DOM helpers shared by the storefront and the console.

/** Builds an element: el('button', { type: 'button', onclick }, 'Add'). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function money(minor, currency) {
  if (!currency) return '—';
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(minor / 100);
}

/** A <time> element showing the time of day to the millisecond, with the full stamp in title. */
export function time(iso) {
  const at = new Date(iso);
  const shown = at.toLocaleTimeString('en-GB', { hour12: false }) +
    '.' + String(at.getMilliseconds()).padStart(3, '0');
  return el('time', { datetime: iso, title: at.toISOString() }, shown);
}

export function short(id) {
  // The end of the id: UUIDv7s made in the same millisecond share their start.
  return id ? String(id).slice(-8) : '—';
}

/** Shows an error's problem+json title and detail in `region` (a role="alert" element). */
export function showProblem(region, error) {
  const problem = error && error.problem ? error.problem : { title: 'Something went wrong', detail: String(error) };
  region.replaceChildren(
    el('p', {}, el('strong', { class: 'problem-title' }, problem.title)),
    problem.detail ? el('p', { class: 'problem-detail' }, problem.detail) : null,
  );
  region.hidden = false;
}

export function clearProblem(region) {
  region.hidden = true;
  region.replaceChildren();
}

/** A W3C traceparent for a new trace this page starts. */
export function newTraceparent() {
  const hex = (bytes) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, '0')).join('');
  return `00-${hex(16)}-${hex(8)}-01`;
}

export function traceLink(traceId, jaegerUrl) {
  if (!traceId) return el('span', {}, '—');
  const code = el('code', {}, traceId);
  if (!jaegerUrl) return code;
  return el('a', { href: `${jaegerUrl.replace(/\/$/, '')}/trace/${traceId}`, target: '_blank', rel: 'noopener' }, code);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
