// Calls to the server's JSON API with the session cookie (the browser sends it;
// the page never sees a key), each cancellable, with a progress bar.
import { h, fill } from './dom.js';

/** An error answer of the API. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'http';
    this.field = body?.error?.field ?? null;
  }
}

const running = new Map();
let nextId = 1;
let lastAsOf = null;

/** The state (`as_of`) the last answer came from: index tip, clustering, labels. */
export function asOf() {
  return lastAsOf;
}

/** `method path` with a JSON body; resolves to the answer, rejects with ApiError. */
export async function api(method, path, body, what = path) {
  const controller = new AbortController();
  const id = nextId++;
  running.set(id, { controller, what, started: performance.now() });
  showProgress();
  try {
    const headers = { 'X-Chainsleuth-UI': '1' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: controller.signal,
    });
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) throw new ApiError(response.status, data);
    if (data?.as_of) lastAsOf = data.as_of;
    return data;
  } catch (e) {
    if (e.name === 'AbortError') throw new ApiError(0, { error: { code: 'cancelled', message: `cancelled: ${what}` } });
    throw e;
  } finally {
    running.delete(id);
    showProgress();
  }
}

export const get = (path, what) => api('GET', path, undefined, what);

/** Cancels every request under way. */
export function cancelAll() {
  for (const { controller } of running.values()) controller.abort();
}

let timer = null;
function showProgress() {
  const bar = document.getElementById('progress');
  if (!bar) return;
  clearInterval(timer);
  if (running.size === 0) {
    bar.hidden = true;
    return;
  }
  const draw = () => {
    const oldest = Math.min(...[...running.values()].map((r) => r.started));
    const seconds = ((performance.now() - oldest) / 1000).toFixed(1);
    const what = [...running.values()].map((r) => r.what).join(', ');
    fill(bar, h('span', { class: 'spinner' }), ` ${what} · ${seconds} s `, h('button', { id: 'cancel', onclick: cancelAll }, 'Cancel'));
  };
  bar.hidden = false;
  draw();
  timer = setInterval(draw, 200);
}
