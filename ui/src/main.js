// The investigation UI: login, search, pages, the graph canvas, tracing, tags
// and notes, cases (saved on the server), exports and keyboard shortcuts.
import { api, get, asOf, cancelAll, ApiError } from './api.js';
import { h, fill, btc, short, download } from './dom.js';
import { createCanvas, draw, emptyModel, compactTx, moneyPath, MAX_FANOUT } from './graph.js';
import { txPage, addressPage, entityPage, blockPage, searchPage, table } from './pages.js';
import { toPng, toSvg, toTagpack, toReport } from './export.js';

const COLOURS = ['#c62828', '#e07b00', '#f5c400', '#3a8f6b', '#2f6fb3', '#7b4bb7'];
const CATEGORIES = ['exchange', 'theft', 'sanctioned', 'scam', 'ransomware', 'darknet', 'mixer', 'gambling', 'mining', 'service', 'other'];
const MAX_UNDO = 50;
/** Most transactions a money path searched by the server may go through. */
const PATH_HOPS = 20;

/** Everything the page holds. */
const app = {
  session: null,
  model: emptyModel(),
  filters: { fromHeight: null, toHeight: null, minValue: null, maxValue: null, direction: 'both' },
  caseInfo: null,
  trace: null,
  undo: [],
  redo: [],
  page: null,
  selected: [],
  pathFrom: null,
  cy: null,
  dirty: false,
  autosave: null,
};

// ---------------------------------------------------------------- login

async function boot() {
  try {
    app.session = await get('/v1/session', 'session');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showLogin();
    return fill(document.getElementById('app'), h('p', { class: 'error' }, `The server cannot be reached: ${e.message}`));
  }
  showApp();
}

function showLogin(message) {
  const key = h('input', { type: 'password', id: 'api-key', name: 'key', autocomplete: 'current-password', placeholder: 'cs_…', required: true, size: 70 });
  const error = h('p', { class: 'error', id: 'login-error' }, message ?? '');
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await api('POST', '/ui/login', { key: key.value }, 'login');
          key.value = '';
          await boot();
        } catch (e) {
          error.textContent = e.message;
        }
      },
    },
    h('h1', {}, 'chainsleuth'),
    h('p', {}, 'Log in with an API key of this index (`chainsleuth apikey create`). The key is exchanged for a session cookie; it is not kept in this page.'),
    h('label', { for: 'api-key' }, 'API key '),
    key,
    h('button', { type: 'submit', id: 'login' }, 'Log in'),
    error,
  );
  fill(document.getElementById('app'), form);
  key.focus();
}

// ---------------------------------------------------------------- the shell

function showApp() {
  const search = h('input', { id: 'search', type: 'search', placeholder: 'Address, txid, txid:vout, block height or hash, entity (e:123), label or actor  [/]' });
  const shell = [
    h(
      'header',
      {},
      h('a', { href: '#/', class: 'brand' }, 'chainsleuth'),
      h('form', { class: 'search', onsubmit: (e) => (e.preventDefault(), search.value.trim() && go(`#/search/${encodeURIComponent(search.value.trim())}`)) }, search, h('button', { type: 'submit' }, 'Search')),
      h('span', { id: 'case-name', class: 'case-name' }),
      h('input', { id: 'case-title', placeholder: 'Case name', size: 18 }),
      h('button', { id: 'save-case', onclick: saveCase, title: 'Save the case on the server [Ctrl+S]' }, 'Save case'),
      h('button', { id: 'new-case', onclick: newCase }, 'New'),
      h('a', { href: '#/', id: 'cases-link' }, 'Cases'),
      h('span', { class: 'who' }, `key ${app.session.key_id} · ${app.session.network}`),
      h('button', { id: 'logout', onclick: logout }, 'Log out'),
    ),
    h('div', { id: 'progress', hidden: true }),
    h('div', { id: 'status', role: 'status' }),
    h(
      'main',
      {},
      h('aside', { id: 'panel' }),
      h('section', { id: 'canvas-wrap' }, toolbar(), h('div', { id: 'cy' }), traceForm()),
    ),
    h('div', { id: 'help', hidden: true }, helpText()),
  ];
  fill(document.getElementById('app'), shell);
  app.cy = createCanvas(document.getElementById('cy'));
  app.cy.on('tap', 'node', (event) => selectNode(event.target, event.originalEvent?.shiftKey));
  app.cy.on('dbltap', 'node', (event) => expandNode(event.target.data()));
  app.cy.on('viewport', () => markDirty(false));
  window.addEventListener('hashchange', route);
  document.addEventListener('keydown', shortcut);
  route();
}

function toolbar() {
  const number = (id, placeholder, key) =>
    h('input', { id, type: 'number', min: 0, placeholder, class: 'filter', onchange: (e) => ((app.filters[key] = e.target.value === '' ? null : Number(e.target.value)), redraw(true), rerenderPage()) });
  const bound = (id, placeholder, key, side) =>
    h('input', { id, type: 'text', size: 11, placeholder, class: 'filter', title: 'A block height, or a date (YYYY-MM-DD, its whole UTC day) or time', onchange: (e) => setBound(e.target, key, side) });
  return h(
    'div',
    { class: 'toolbar' },
    h('button', { id: 'undo', onclick: undo, title: 'Undo [Ctrl+Z]' }, '↶'),
    h('button', { id: 'redo', onclick: redo, title: 'Redo [Ctrl+Y]' }, '↷'),
    h('button', { id: 'fit', onclick: () => app.cy.fit(undefined, 40), title: 'Fit [f]' }, 'Fit'),
    h('select', { id: 'mode', title: 'Draw addresses, or the entities they belong to', onchange: (e) => change(() => (app.model.mode = e.target.value)) }, h('option', { value: 'tx' }, 'Addresses'), h('option', { value: 'entity' }, 'Entities')),
    h('select', { id: 'layout', title: 'Columns by block height, or by hops of money', onchange: (e) => change(() => (app.model.layout = e.target.value), false) }, h('option', { value: 'time' }, 'By time'), h('option', { value: 'hop' }, 'By hop')),
    h('button', { id: 'trace-open', onclick: () => toggleTrace(), title: 'Trace [t]' }, 'Trace…'),
    h('button', { id: 'path', onclick: showPath, title: 'Shortest money path between the two selected nodes (shift-click) [p]' }, 'Path'),
    h('span', { class: 'sep' }, 'Filter:'),
    bound('filter-from', 'from height or date', 'fromHeight', 'since'),
    bound('filter-to', 'to height or date', 'toHeight', 'until'),
    number('filter-min', 'min sats', 'minValue'),
    number('filter-max', 'max sats', 'maxValue'),
    h('select', { id: 'filter-direction', onchange: (e) => ((app.filters.direction = e.target.value), redraw(true), rerenderPage()) }, h('option', { value: 'both' }, 'in and out'), h('option', { value: 'in' }, 'in'), h('option', { value: 'out' }, 'out')),
    h('span', { class: 'sep' }, 'Export:'),
    h('button', { id: 'export-png', onclick: () => toPng(app.cy).then((png) => download(`${caseSlug()}.png`, png), (e) => status(`PNG export failed: ${e.message}`, 'error')) }, 'PNG'),
    h('button', { id: 'export-svg', onclick: () => download(`${caseSlug()}.svg`, toSvg(app.cy), 'image/svg+xml') }, 'SVG'),
    h('button', { id: 'export-tagpack', onclick: () => download(`${caseSlug()}.tagpack.yaml`, toTagpack(caseTitle(), Object.values(app.model.labels), app.session.key_id), 'text/yaml') }, 'TagPack'),
    h('button', { id: 'export-report', onclick: exportReport }, 'Report'),
  );
}

/** A height, or the height a date or time stands for on `side` ('since' or 'until') of a window; null for none. */
async function heightOf(text, side) {
  if (text === '') return null;
  if (/^\d{1,9}$/.test(text)) return Number(text);
  const window = await get(`/v1/time-window?${side}=${encodeURIComponent(text)}`, 'date');
  return side === 'since' ? window.from_height : window.to_height;
}

/** Sets a height filter from its field (a height or a date), saying which height a date became. */
async function setBound(input, key, side) {
  const text = input.value.trim();
  try {
    app.filters[key] = await heightOf(text, side);
  } catch (e) {
    input.classList.add('invalid');
    return status(e.message, 'error');
  }
  input.classList.remove('invalid');
  input.title = app.filters[key] === null || /^\d{1,9}$/.test(text) ? 'A block height, or a date (YYYY-MM-DD) or time' : `${text}: height ${app.filters[key]}`;
  redraw(true);
  await rerenderPage();
  if (app.filters[key] !== null && !/^\d{1,9}$/.test(text)) status(`${side === 'since' ? 'From' : 'To'} ${text}: block height ${app.filters[key]}.`);
}

function traceForm() {
  const field = (label, input) => h('label', {}, label, ' ', input);
  return h(
    'form',
    { id: 'trace-form', hidden: true, onsubmit: (e) => (e.preventDefault(), runTrace()) },
    h('h3', {}, 'Trace'),
    field('From', h('input', { id: 'trace-from', size: 40, placeholder: 'txid, txid:vout or address' })),
    field('Policy', h('select', { id: 'trace-policy' }, ['haircut', 'poison', 'fifo', 'tiho'].map((p) => h('option', { value: p }, p)))),
    field('Direction', h('select', { id: 'trace-direction' }, h('option', { value: 'forward' }, 'forward'), h('option', { value: 'backward' }, 'backward'))),
    field('Hops', h('input', { id: 'trace-hops', type: 'number', min: 1, max: 50, value: 10 })),
    field('Min value (sats)', h('input', { id: 'trace-min', type: 'number', min: 0, placeholder: 'policy default' })),
    field('Until', h('input', { id: 'trace-until', type: 'text', size: 11, placeholder: 'height or date', title: 'Forward: spends after it are ignored. Backward: coins made before it are not followed. A height, or a date (YYYY-MM-DD) or time.' })),
    field('Stop at services', h('input', { id: 'trace-stop', type: 'checkbox', checked: true })),
    h('button', { type: 'submit', id: 'trace-run' }, 'Run trace'),
    h('button', { type: 'button', onclick: () => toggleTrace(false) }, 'Close'),
  );
}

function helpText() {
  return [
    h('h3', {}, 'Keyboard'),
    h('ul', {}, [
      ['/', 'search'],
      ['i / o', 'expand the selected node’s inputs / outputs'],
      ['t', 'trace from the selected node'],
      ['p', 'shortest money path between two selected nodes'],
      ['f', 'fit the canvas'],
      ['Ctrl+Z / Ctrl+Y', 'undo / redo'],
      ['Ctrl+S', 'save the case'],
      ['Esc', 'cancel requests, close panels'],
      ['?', 'this help'],
    ].map(([k, what]) => h('li', {}, h('kbd', {}, k), ` ${what}`))),
  ];
}

function status(text, kind = 'info') {
  const el = document.getElementById('status');
  if (el) fill(el, text ? h('span', { class: kind }, text) : '');
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// ---------------------------------------------------------------- pages

const PAGES = { tx: txPage, address: addressPage, entity: entityPage, block: blockPage };

/** Shows the page a hash names (the address bar's, or a case's saved page). */
async function route(_event, hash = location.hash) {
  const [, kind, ...rest] = hash.replace(/^#/, '').split('/');
  const id = decodeURIComponent(rest.join('/'));
  const panel = document.getElementById('panel');
  try {
    if (kind === 'case') return await openCase(id);
    if (kind === 'search') {
      const found = await searchPage(id);
      if (found.redirect) return go(found.redirect);
      return showPage(found);
    }
    if (PAGES[kind]) return showPage(await PAGES[kind](id, pageContext()));
    await homePage();
  } catch (e) {
    fill(panel, h('h2', {}, 'Not found'), h('p', { class: 'error', id: 'page-error' }, e.message));
  }
}

function pageContext() {
  return { filters: app.filters, actions };
}

function showPage(page) {
  app.page = page;
  document.title = `${page.title} — chainsleuth`;
  fill(document.getElementById('panel'), page.body, page.node ? tagAndNote(page.node, page.address?.address) : null);
  if (page.node) highlight(page.node);
}

async function rerenderPage() {
  if (app.page && !app.page.trace) await route();
}

async function homePage() {
  app.page = null;
  const { cases } = await get('/v1/cases', 'cases');
  fill(
    document.getElementById('panel'),
    h('h2', {}, 'Investigations'),
    h('p', {}, 'Search for an address, a transaction, a block or a label to start; double-click a node on the canvas to expand it.'),
    h('h3', {}, `Saved cases (${cases.length})`),
    cases.length
      ? h('ul', { class: 'cases' }, cases.map((c) => h('li', {}, h('a', { href: `#/case/${c.id}` }, c.name), ` · saved ${c.updated} · ${Math.ceil(c.bytes / 1024)} KiB`)))
      : h('p', { class: 'muted' }, 'None yet.'),
  );
}

/** The buttons of a page. */
function actions(subject) {
  const buttons = [];
  if (subject.kind === 'tx') {
    buttons.push(
      h('button', { id: 'add-tx', onclick: () => addTx(subject.tx) }, 'Add to graph'),
      h('button', { id: 'expand-inputs', onclick: () => expandInputs(subject.tx) }, 'Expand inputs'),
      h('button', { id: 'expand-outputs', onclick: () => expandOutputs(subject.tx) }, 'Expand outputs'),
      h('button', { id: 'trace-here', onclick: () => toggleTrace(true, subject.txid) }, 'Trace from here'),
      ...pathButtons(`t:${subject.txid}`, subject.txid),
    );
  } else if (subject.kind === 'address') {
    buttons.push(
      h('button', { id: 'add-address', onclick: () => addAddress(subject.view) }, 'Add to graph'),
      h('button', { id: 'expand-address', onclick: () => expandAddress(subject.address) }, `Add its transactions (up to ${MAX_FANOUT})`),
      h('button', { id: 'trace-here', onclick: () => toggleTrace(true, subject.address) }, 'Trace from here'),
      ...pathButtons(`a:${subject.address}`, subject.address),
    );
  } else if (subject.kind === 'entity') {
    buttons.push(h('button', { id: 'entity-level', onclick: () => change(() => (app.model.mode = 'entity')) }, 'Show the canvas by entity'));
  }
  return h('div', { class: 'actions' }, buttons);
}

/** Mark this place as a money path's start; once one is marked, find the path from it to here. */
function pathButtons(node, subject) {
  const buttons = [h('button', { id: 'path-from', onclick: () => ((app.pathFrom = { node, subject }), status(`Path start: ${short(subject)}. Open the other end and choose “Money path to here”.`), rerenderPage()) }, 'Path from here')];
  if (app.pathFrom && app.pathFrom.subject !== subject) {
    buttons.push(h('button', { id: 'path-to', onclick: () => findPath(app.pathFrom, { node, subject }) }, `Money path from ${short(app.pathFrom.subject)} to here`));
  }
  return buttons;
}

/** Colour, note and (for an address) label of a node. */
function tagAndNote(nodeId, address) {
  const note = h('textarea', { id: 'note', rows: 3, placeholder: 'Notes on this node (saved with the case)' });
  note.value = app.model.notes[nodeId] ?? '';
  note.addEventListener('change', () => change(() => (note.value.trim() ? (app.model.notes[nodeId] = note.value) : delete app.model.notes[nodeId])));
  const swatches = h('span', { class: 'swatches' }, COLOURS.map((c) => h('button', { class: 'swatch', title: c, dataset: { colour: c }, style: `background:${c}`, onclick: () => change(() => (app.model.colors[nodeId] = c)) })), h('button', { onclick: () => change(() => delete app.model.colors[nodeId]) }, 'none'));
  const section = [h('h3', {}, 'Tag and note'), h('div', {}, 'Colour ', swatches), note];
  if (address) {
    const own = app.model.labels[address];
    const text = h('input', { id: 'label-text', placeholder: 'Label (e.g. “thief’s hot wallet”)', value: own?.label ?? '', size: 28 });
    const category = h('select', { id: 'label-category' }, CATEGORIES.map((c) => h('option', { value: c, selected: own?.category === c }, c)));
    const confidence = h('input', { id: 'label-confidence', type: 'number', min: 0, max: 100, value: own?.confidence ?? 50 });
    section.push(
      h(
        'form',
        {
          class: 'label-form',
          onsubmit: async (e) => {
            e.preventDefault();
            try {
              await api('POST', '/v1/labels', { address, label: text.value, category: category.value, confidence: Number(confidence.value) }, 'label');
              change(() => (app.model.labels[address] = { address, label: text.value.trim(), category: category.value, confidence: Number(confidence.value) }));
              status(`Labelled ${short(address)} “${text.value.trim()}” in source ${app.session.label_source}: screening sees it once the server reloads its labels.`);
            } catch (err) {
              status(err.message, 'error');
            }
          },
        },
        'Your label ', text, ' ', category, ' confidence ', confidence, h('button', { type: 'submit', id: 'label-save' }, 'Save label'),
      ),
    );
  }
  return h('section', { class: 'tag-note' }, section);
}

// ---------------------------------------------------------------- the canvas

function redraw(keepView = true) {
  if (app.cy) {
    draw(app.cy, app.model, app.filters, keepView);
    // What is drawn, for people reading the page's state and for the tests.
    Object.assign(document.getElementById('cy').dataset, { nodes: app.cy.nodes().length, edges: app.cy.edges().length });
  }
  const count = Object.keys(app.model.txs).length;
  status(count ? `${count} transactions on the canvas` : '');
}

/** Applies a change to the model with undo, redraw and autosave. */
function change(mutate, keepView = true) {
  app.undo.push(JSON.stringify(app.model));
  if (app.undo.length > MAX_UNDO) app.undo.shift();
  app.redo = [];
  mutate();
  redraw(keepView);
  markDirty(true);
}

/** Moves the model one step along its history: back (undo) or forward (redo). */
function travel(from, to) {
  if (!from.length) return;
  to.push(JSON.stringify(app.model));
  app.model = JSON.parse(from.pop());
  redraw(true);
  markDirty(true);
}

function undo() {
  travel(app.undo, app.redo);
}

function redo() {
  travel(app.redo, app.undo);
}

function markDirty(modelChanged) {
  if (modelChanged) app.dirty = true;
  if (!app.caseInfo) return;
  clearTimeout(app.autosave);
  app.autosave = setTimeout(() => app.dirty && saveCase(), 2000);
}

function addTx(tx) {
  change(() => (app.model.txs[tx.txid] = compactTx(tx)), Object.keys(app.model.txs).length > 0);
  highlight(`t:${tx.txid}`);
}

function addAddress(view) {
  change(() => {
    if (!app.model.addresses.some((a) => a.address === view.address)) app.model.addresses.push({ address: view.address, entity: view.entity, height: view.first_seen?.height ?? null });
  });
}

async function fetchTxs(txids) {
  const wanted = [...new Set(txids)].filter((t) => !app.model.txs[t]).slice(0, MAX_FANOUT);
  const txs = await Promise.all(wanted.map((t) => get(`/v1/transactions/${t}`, `transaction ${short(t)}`)));
  change(() => txs.forEach((tx) => (app.model.txs[tx.txid] = compactTx(tx))));
  return txs.length;
}

async function expandOutputs(tx) {
  if (!app.model.txs[tx.txid]) addTx(tx);
  const spenders = tx.outputs.filter((o) => o.spent_by).sort((a, b) => b.value - a.value).map((o) => o.spent_by.txid ?? o.spent_by);
  const added = await fetchTxs(spenders);
  status(`${added} spending transactions added${spenders.length > MAX_FANOUT ? ` (the ${MAX_FANOUT} largest of ${spenders.length}; the outputs table lists the rest)` : ''}`);
}

async function expandInputs(tx) {
  if (!app.model.txs[tx.txid]) addTx(tx);
  const sources = tx.inputs.filter((i) => i.prevout).sort((a, b) => b.value - a.value).map((i) => i.prevout.split(':')[0]);
  const added = await fetchTxs(sources);
  status(`${added} funding transactions added${sources.length > MAX_FANOUT ? ` (the ${MAX_FANOUT} largest of ${sources.length})` : ''}`);
}

async function expandAddress(address) {
  const view = await get(`/v1/addresses/${encodeURIComponent(address)}?limit=${MAX_FANOUT}`, 'address history');
  const added = await fetchTxs(view.history.map((r) => r.txid));
  status(`${added} transactions of ${short(address)} added${view.tx_count > MAX_FANOUT ? ` (${MAX_FANOUT} of ${view.tx_count}; page through the history table for the rest)` : ''}`);
}

async function expandNode(data) {
  try {
    if (data.kind === 'tx') {
      const tx = await get(`/v1/transactions/${data.txid}`, 'transaction');
      await expandOutputs(tx);
    } else if (data.kind === 'address') await expandAddress(data.address);
    else if (data.kind === 'more') go(`#/tx/${data.txid}`);
    else if (data.kind === 'entity') go(`#/entity/${data.entity}`);
  } catch (e) {
    status(e.message, 'error');
  }
}

function selectNode(node, additive) {
  app.selected = additive ? [...app.selected.slice(-1), node.id()] : [node.id()];
  const d = node.data();
  if (additive) return;
  if (d.kind === 'tx' || d.kind === 'more') go(`#/tx/${d.txid}`);
  else if (d.kind === 'address') go(`#/address/${encodeURIComponent(d.address)}`);
  else if (d.kind === 'entity') go(`#/entity/${d.entity}`);
}

function highlight(nodeId) {
  if (!app.cy) return;
  app.cy.elements().unselect();
  const node = app.cy.getElementById(nodeId);
  if (node.nonempty()) node.select();
}

/** The two selected nodes' money path (either way round). */
function showPath() {
  if (app.selected.length < 2) return status('Select two nodes (click one, shift-click the other) to find the money path between them.', 'error');
  const end = (id) => {
    const d = app.cy.getElementById(id).data() ?? {};
    return { node: id, subject: d.kind === 'tx' ? d.txid : d.kind === 'address' ? d.address : null };
  };
  return findPath(end(app.selected[0]), end(app.selected[1]));
}

/**
 * The shortest money path between two places: among the drawn nodes if it is
 * there, else searched by the server (fewest transactions, either way round in
 * time), whose transactions are then drawn. Ends are `{ node, subject }`.
 */
async function findPath(from, to) {
  app.cy.elements().removeClass('path');
  let path = moneyPath(app.cy, from.node, to.node);
  if (!path) {
    if (!from.subject || !to.subject) return status('No money path among the drawn nodes; the server searches between transactions and addresses, not entities.', 'error');
    try {
      let found = await api('POST', '/v1/path', { from: from.subject, to: to.subject, max_hops: PATH_HOPS }, 'money path');
      if (!found.found) found = await api('POST', '/v1/path', { from: to.subject, to: from.subject, max_hops: PATH_HOPS }, 'money path');
      if (!found.found) return status(`No money path of up to ${PATH_HOPS} transactions between ${short(from.subject)} and ${short(to.subject)}.`, 'error');
      await fetchTxs(found.txs.map((t) => t.txid));
    } catch (e) {
      return status(e.message, 'error');
    }
    path = moneyPath(app.cy, from.node, to.node);
    if (!path) return status('The server found a money path, but the filters or the entity view hide part of it.', 'error');
  }
  path.addClass('path');
  app.cy.fit(path, 60);
  const value = Math.min(...path.edges().map((e) => e.data('value')));
  status(`Money path of ${path.edges().length} edges; its narrowest edge carries ${btc(value)}.`);
}

// ---------------------------------------------------------------- tracing

function toggleTrace(open, from) {
  const form = document.getElementById('trace-form');
  form.hidden = open === undefined ? !form.hidden : !open;
  if (from) document.getElementById('trace-from').value = from;
  if (!form.hidden) document.getElementById('trace-from').focus();
}

async function runTrace() {
  const value = (id) => document.getElementById(id).value.trim();
  const request = {
    from: value('trace-from').split(/[\s,]+/).filter(Boolean),
    policy: value('trace-policy'),
    direction: value('trace-direction'),
    max_hops: Number(value('trace-hops') || 10),
    stop_at_services: document.getElementById('trace-stop').checked,
    max_rows: 2000,
  };
  if (value('trace-min') !== '') request.min_value = Number(value('trace-min'));
  const until = value('trace-until');
  if (/^\d{1,9}$/.test(until)) request.until_height = Number(until);
  else if (until !== '') request.until_date = until;
  try {
    const report = await api('POST', '/v1/trace', request, 'trace');
    const heights = Object.fromEntries(report.nodes.map((n) => [n.txid, n.height]));
    const entities = Object.fromEntries(report.endpoints.filter((e) => e.address).map((e) => [e.address, e.entity]));
    change(() => {
      app.model.flows = report.edges.map((e) => ({ ...e, from_height: heights[e.from] ?? null, to_height: heights[e.to] ?? null, entity: entities[e.to] ?? entities[e.from] ?? null }));
      for (const s of report.endpoints.filter((e) => e.kind === 'service' && e.address)) {
        app.model.labels[s.address] ??= { address: s.address, label: s.service, category: s.category, confidence: null, fromTrace: true };
      }
    }, false);
    app.trace = { request, report: trimReport(report) };
    toggleTrace(false);
    showTraceResult();
  } catch (e) {
    status(e.message, 'error');
  }
}

/** What a case keeps of a trace (the rows the canvas and the report show). */
function trimReport(report) {
  const { policy, direction, traced_value, max_hops, min_value, starts, summary, services, endpoints, unspent_by_entity, coinjoins, omitted } = report;
  return { policy, direction, traced_value, max_hops, min_value, starts, summary, services, endpoints: endpoints.slice(0, 500), unspent_by_entity, coinjoins: coinjoins.slice(0, 200), omitted };
}

function showTraceResult() {
  const { report } = app.trace;
  const s = report.summary;
  app.page = { title: 'Trace', trace: true };
  fill(
    document.getElementById('panel'),
    h('h2', { id: 'trace-result' }, `Trace (${report.policy}, ${report.direction})`),
    h('p', {}, `${btc(report.traced_value)} from ${report.starts.length} outputs through ${s.transactions} transactions (${s.coinjoins} CoinJoins) in ${s.hops} hops.`),
    h('dl', { class: 'facts' }, [['At services', s.service], ['Unspent', s.unspent], ['Stopped by limits', s.limit], ['Fees', s.fees], ['Mined', s.coinbase], ['Before the index', s.unresolved]].map(([k, v]) => [h('dt', {}, k), h('dd', {}, btc(v))])),
    h('h3', {}, 'Services reached'),
    table('trace-services', [
      { title: 'Service', key: 'name' },
      { title: 'Category', key: 'category' },
      { title: 'Value', key: 'value', class: 'num', cell: (r) => btc(r.value) },
      { title: 'Share', key: 'share', cell: (r) => `${(r.share * 100).toFixed(2)}%` },
      { title: 'Deposits', key: 'deposits' },
    ], report.services, app.filters),
    h('h3', {}, 'Endpoints'),
    table('trace-endpoints', [
      { title: 'Where', key: 'address', cell: (r) => (r.address ? h('a', { href: `#/address/${encodeURIComponent(r.address)}` }, short(r.address)) : '—') },
      { title: 'Kind', key: 'kind' },
      { title: 'Service', key: 'service', cell: (r) => r.service ?? '' },
      { title: 'Entity', key: 'entity', cell: (r) => (r.entity !== null ? h('a', { href: `#/entity/${r.entity}`, class: 'link-entity' }, String(r.entity)) : '—') },
      { title: 'Value', key: 'value', class: 'num', cell: (r) => btc(r.value) },
    ], report.endpoints.map((e) => ({ ...e, height: e.height })), app.filters),
    report.omitted.endpoints ? h('p', { class: 'muted' }, `${report.omitted.endpoints} smaller endpoints (${btc(report.omitted.endpoint_value)}) left out.`) : null,
  );
  status(`Trace drawn: ${report.summary.transactions} transactions, ${report.services.length} services reached`);
}

// ---------------------------------------------------------------- cases

function caseTitle() {
  return app.caseInfo?.name ?? (document.getElementById('case-title')?.value.trim() || 'Untitled case');
}

function caseSlug() {
  return caseTitle().replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-|-$/g, '') || 'case';
}

function caseState() {
  return {
    version: 1,
    model: app.model,
    trace: app.trace,
    filters: app.filters,
    view: { zoom: app.cy.zoom(), pan: app.cy.pan(), page: app.page?.trace ? '#/trace' : location.hash },
  };
}

async function saveCase() {
  const name = caseTitle();
  const id = app.caseInfo?.id ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const saved = await api('PUT', `/v1/cases/${id}`, { name, state: caseState() }, 'save case');
    app.caseInfo = { id, name };
    app.dirty = false;
    fill(document.getElementById('case-name'), `Case: ${name}`);
    document.getElementById('case-title').value = name;
    history.replaceState(null, '', `#/case/${id}`);
    status(`Case “${name}” saved (${Math.ceil(saved.bytes / 1024)} KiB) — link: ${location.href}`);
  } catch (e) {
    status(`Not saved: ${e.message}`, 'error');
  }
}

async function openCase(id) {
  if (app.caseInfo?.id === id && app.page) return;
  const saved = await get(`/v1/cases/${encodeURIComponent(id)}`, 'open case');
  app.caseInfo = { id: saved.id, name: saved.name };
  app.model = { ...emptyModel(), ...saved.state.model };
  app.trace = saved.state.trace ?? null;
  app.filters = { ...app.filters, ...saved.state.filters };
  for (const [id, key] of [['filter-from', 'fromHeight'], ['filter-to', 'toHeight'], ['filter-min', 'minValue'], ['filter-max', 'maxValue']]) {
    document.getElementById(id).value = app.filters[key] ?? '';
  }
  document.getElementById('filter-direction').value = app.filters.direction;
  app.undo = [];
  app.redo = [];
  fill(document.getElementById('case-name'), `Case: ${saved.name}`);
  document.getElementById('case-title').value = saved.name;
  document.getElementById('mode').value = app.model.mode;
  document.getElementById('layout').value = app.model.layout ?? 'time';
  redraw(false);
  const view = saved.state.view;
  if (view?.zoom) {
    app.cy.zoom(view.zoom);
    app.cy.pan(view.pan);
  }
  app.dirty = false;
  if (view?.page === '#/trace' && app.trace) showTraceResult();
  else if (view?.page && !view.page.startsWith('#/case/')) await route(null, view.page);
  else fill(document.getElementById('panel'), h('h2', {}, saved.name), h('p', {}, `Saved ${saved.updated}.`));
  status(`Case “${saved.name}” opened`);
}

function newCase() {
  app.caseInfo = null;
  app.model = emptyModel();
  app.trace = null;
  app.undo = [];
  app.redo = [];
  fill(document.getElementById('case-name'), '');
  document.getElementById('case-title').value = '';
  redraw(false);
  go('#/');
}

async function logout() {
  cancelAll();
  await api('POST', '/ui/logout', undefined, 'logout').catch(() => null);
  location.hash = '';
  showLogin('Logged out.');
}

function exportReport() {
  const html = toReport({
    name: caseTitle(),
    asOf: asOf(),
    trace: app.trace,
    notes: app.model.notes,
    labels: Object.values(app.model.labels).filter((l) => !l.fromTrace),
    svg: toSvg(app.cy),
    txCount: Object.keys(app.model.txs).length,
  });
  download(`${caseSlug()}.html`, html, 'text/html');
}

// ---------------------------------------------------------------- keys

function shortcut(event) {
  const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement?.tagName);
  const ctrl = event.ctrlKey || event.metaKey;
  if (ctrl && event.key.toLowerCase() === 's') {
    event.preventDefault();
    return saveCase();
  }
  if (event.key === 'Escape') {
    cancelAll();
    toggleTrace(false);
    document.getElementById('help').hidden = true;
    return document.activeElement?.blur();
  }
  if (typing) return;
  if (ctrl && event.key.toLowerCase() === 'z') return event.preventDefault(), event.shiftKey ? redo() : undo();
  if (ctrl && event.key.toLowerCase() === 'y') return event.preventDefault(), redo();
  if (ctrl || event.altKey) return;
  const selected = app.cy?.getElementById(app.selected.at(-1) ?? '');
  const tx = app.page?.tx;
  switch (event.key) {
    case '/':
      event.preventDefault();
      return document.getElementById('search').focus();
    case 'f':
      return app.cy.fit(undefined, 40);
    case 'o':
      return tx ? expandOutputs(tx) : selected?.nonempty() && expandNode(selected.data());
    case 'i':
      return tx && expandInputs(tx);
    case 't':
      event.preventDefault();
      return toggleTrace(true, tx?.txid ?? app.page?.address?.address);
    case 'p':
      return showPath();
    case '?':
      document.getElementById('help').hidden = !document.getElementById('help').hidden;
  }
}

boot();
