// The graph canvas: transactions and the addresses (or entities) they pay,
// laid out left to right by block height, drawn by Cytoscape.js.
//
// The model is plain data (transactions as the API answers them, trace flows,
// colours, notes) so that a case saves it as JSON and undo restores it; the
// canvas is redrawn from it.
import cytoscape from 'cytoscape';
import { short } from './dom.js';

/** Most outputs (or inputs) of one transaction drawn; the rest are one "more" node. */
export const MAX_FANOUT = 30;

const COLUMN = 180;
const SUB_COLUMN = 110;
const MAX_ROWS = 24;
const ROW = 64;

/** An empty model. */
export function emptyModel() {
  return { txs: {}, addresses: [], flows: [], endpoints: [], colors: {}, notes: {}, labels: {}, mode: 'tx', layout: 'time' };
}

/** A transaction as the model keeps it (the answer's fields the canvas needs). */
export function compactTx(tx) {
  return {
    txid: tx.txid,
    height: tx.block_height,
    time: tx.block_time,
    coinbase: tx.coinbase,
    fee: tx.fee,
    coinjoin: tx.coinjoin?.protocol ?? null,
    change: tx.change?.vout ?? null,
    inputs: tx.inputs.map((i) => ({ address: i.address, value: i.value, entity: i.entity, prevout: i.prevout })),
    outputs: tx.outputs.map((o) => ({ address: o.address, value: o.value, entity: o.entity, spent_by: o.spent_by?.txid ?? null })),
  };
}

/** The node id of an address in the model's mode (its entity at entity level). */
function holderId(model, address, entity) {
  if (model.mode === 'entity' && entity !== null && entity !== undefined) return `e:${entity}`;
  return `a:${address}`;
}

/** Whether a value and height pass the filters. */
export function passes(filters, value, height) {
  if (filters.minValue !== null && value !== null && value < filters.minValue) return false;
  if (filters.maxValue !== null && value !== null && value > filters.maxValue) return false;
  if (filters.fromHeight !== null && height !== null && height < filters.fromHeight) return false;
  if (filters.toHeight !== null && height !== null && height > filters.toHeight) return false;
  return true;
}

/** The canvas's elements for a model under filters. */
export function elements(model, filters) {
  const nodes = new Map();
  const edges = [];
  const maxValue = Math.max(
    1,
    ...Object.values(model.txs).flatMap((t) => t.outputs.map((o) => o.value)),
    ...model.flows.map((f) => f.value),
  );
  const weight = (v) => (v > 0 ? Math.max(0.05, Math.log10(v + 1) / Math.log10(maxValue + 1)) : 0.05);
  const holder = (address, entity, height) => {
    const id = holderId(model, address, entity);
    if (!nodes.has(id)) {
      const isEntity = id.startsWith('e:');
      nodes.set(id, {
        id,
        kind: isEntity ? 'entity' : 'address',
        label: isEntity ? `entity ${entity}` : short(address),
        address: isEntity ? null : address,
        entity: entity ?? null,
        height,
      });
    }
    return nodes.get(id);
  };
  const txs = Object.values(model.txs).filter((t) => filters.direction !== 'none' && passes(filters, null, t.height));
  for (const t of txs) {
    nodes.set(`t:${t.txid}`, {
      id: `t:${t.txid}`,
      kind: 'tx',
      label: `${short(t.txid)}\n${t.height}${t.coinjoin ? ` · ${t.coinjoin}` : ''}`,
      txid: t.txid,
      height: t.height,
      coinjoin: t.coinjoin,
    });
  }
  for (const t of txs) {
    if (filters.direction !== 'in') {
      const shown = t.outputs
        .map((o, n) => ({ ...o, n }))
        .filter((o) => passes(filters, o.value, t.height))
        .sort((a, b) => b.value - a.value);
      for (const o of shown.slice(0, MAX_FANOUT)) {
        const to = holder(o.address, o.entity, t.height);
        edges.push({ id: `o:${t.txid}:${o.n}`, source: `t:${t.txid}`, target: to.id, value: o.value, weight: weight(o.value), change: o.n === t.change });
      }
      if (shown.length > MAX_FANOUT) {
        const id = `m:${t.txid}:out`;
        const rest = shown.slice(MAX_FANOUT).reduce((s, o) => s + o.value, 0);
        nodes.set(id, { id, kind: 'more', label: `+${shown.length - MAX_FANOUT} outputs`, txid: t.txid, height: t.height });
        edges.push({ id: `${id}:e`, source: `t:${t.txid}`, target: id, value: rest, weight: weight(rest) });
      }
    }
    if (filters.direction !== 'out') {
      const shown = t.inputs
        .map((i, n) => ({ ...i, n }))
        .filter((i) => i.address && passes(filters, i.value, t.height))
        .sort((a, b) => b.value - a.value);
      for (const i of shown.slice(0, MAX_FANOUT)) {
        const from = holder(i.address, i.entity, t.height - 1);
        edges.push({ id: `i:${t.txid}:${i.n}`, source: from.id, target: `t:${t.txid}`, value: i.value, weight: weight(i.value) });
      }
      if (shown.length > MAX_FANOUT) {
        const id = `m:${t.txid}:in`;
        const rest = shown.slice(MAX_FANOUT).reduce((s, i) => s + i.value, 0);
        nodes.set(id, { id, kind: 'more', label: `+${shown.length - MAX_FANOUT} inputs`, txid: t.txid, height: t.height - 1 });
        edges.push({ id: `${id}:e`, source: id, target: `t:${t.txid}`, value: rest, weight: weight(rest) });
      }
    }
  }
  for (const a of model.addresses) holder(a.address, a.entity, a.height ?? null);
  // Trace flows: transaction to transaction (or to the address a trail ends at).
  for (const f of model.flows) {
    if (!passes(filters, f.value, null)) continue;
    const end = (id, type, height) => {
      if (type === 'tx') {
        if (!nodes.has(`t:${id}`)) nodes.set(`t:${id}`, { id: `t:${id}`, kind: 'tx', label: `${short(id)}\n${height ?? ''}`, txid: id, height: height ?? null, traced: true });
        return `t:${id}`;
      }
      if (type === 'address') return holder(id, f.entity ?? null, height).id;
      const pool = `p:${id}`;
      if (!nodes.has(pool)) nodes.set(pool, { id: pool, kind: 'pool', label: `${id} pool`, height });
      return pool;
    };
    const source = end(f.from, f.from_type, f.from_height);
    const target = end(f.to, f.to_type, f.to_height);
    edges.push({ id: `f:${f.from}>${f.to}`, source, target, value: f.value, weight: weight(f.value), flow: true });
  }
  for (const node of nodes.values()) {
    const key = node.address ?? node.txid ?? node.id;
    if (model.colors[node.id]) node.color = model.colors[node.id];
    if (model.notes[node.id]) node.noted = 'yes';
    const label = node.address && model.labels[node.address];
    if (label) {
      node.service = label.category;
      node.label = `${label.label}\n${short(key)}`;
    }
  }
  const seen = new Set();
  return [
    ...[...nodes.values()].map((data) => ({ group: 'nodes', data })),
    ...edges.filter((e) => nodes.has(e.source) && nodes.has(e.target) && !seen.has(e.id) && seen.add(e.id)).map((data) => ({ group: 'edges', data })),
  ];
}

/** Positions left to right by height: one column per height, holders between
 * (an address after the transaction that paid it), each column centred. */
export function layout(elements, by = 'time') {
  const nodes = elements.filter((e) => e.group === 'nodes').map((e) => e.data);
  if (by === 'hop') return wrapColumns(nodes, layers(nodes, elements.filter((e) => e.group === 'edges').map((e) => e.data)));
  const heights = [...new Set(nodes.filter((n) => n.kind === 'tx' && n.height !== null).map((n) => n.height))].sort((a, b) => a - b);
  const column = new Map(heights.map((height, i) => [height, i]));
  const columnOf = (height) => {
    if (height === null || height === undefined) return heights.length;
    if (column.has(height)) return column.get(height);
    // Between the columns around it.
    let i = heights.findIndex((x) => x > height);
    if (i === -1) i = heights.length;
    return i - 0.5;
  };
  const producers = new Map();
  for (const e of elements.filter((x) => x.group === 'edges')) {
    if (e.data.source.startsWith('t:') && !producers.has(e.data.target)) producers.set(e.data.target, e.data.source);
  }
  const byTx = new Map(nodes.filter((n) => n.kind === 'tx').map((n) => [n.id, n]));
  const slot = new Map();
  for (const n of nodes) {
    if (n.kind === 'tx') slot.set(n.id, columnOf(n.height));
    else if (producers.has(n.id)) slot.set(n.id, columnOf(byTx.get(producers.get(n.id))?.height) + 0.5);
    else slot.set(n.id, columnOf(n.height) + 0.5);
  }
  return wrapColumns(nodes, slot);
}

/** Each node's layer: the longest path of money reaching it from a node nothing pays. */
function layers(nodes, edges) {
  const incoming = new Map(nodes.map((n) => [n.id, 0]));
  const next = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    incoming.set(e.target, incoming.get(e.target) + 1);
    next.get(e.source).push(e.target);
  }
  const layer = new Map(nodes.map((n) => [n.id, 0]));
  const ready = nodes.filter((n) => incoming.get(n.id) === 0).map((n) => n.id);
  while (ready.length) {
    const id = ready.pop();
    for (const to of next.get(id)) {
      layer.set(to, Math.max(layer.get(to), layer.get(id) + 1));
      incoming.set(to, incoming.get(to) - 1);
      if (incoming.get(to) === 0) ready.push(to);
    }
  }
  // Nodes on a cycle (entities paying themselves) keep the layer reached so far.
  return layer;
}

/** Positions of nodes by their column (`slot`), in column order, each centred. */
function wrapColumns(nodes, slot) {
  const slots = new Map();
  const positions = {};
  for (const n of nodes) {
    const x = slot.get(n.id);
    const row = slots.get(x) ?? 0;
    slots.set(x, row + 1);
    positions[n.id] = { x, y: row };
  }
  // A column taller than MAX_ROWS wraps into sub-columns, so a fan-out keeps a
  // shape a screen can fit; columns stay in order, left to right.
  let left = 0;
  const start = new Map();
  for (const x of [...slots.keys()].sort((a, b) => a - b)) {
    start.set(x, left);
    left += Math.ceil(slots.get(x) / MAX_ROWS) * SUB_COLUMN + COLUMN - SUB_COLUMN;
  }
  for (const n of nodes) {
    const { x, y: row } = positions[n.id];
    const count = Math.min(MAX_ROWS, slots.get(x));
    positions[n.id] = { x: start.get(x) + Math.floor(row / MAX_ROWS) * SUB_COLUMN, y: ((row % MAX_ROWS) - (count - 1) / 2) * ROW };
  }
  return positions;
}

const STYLE = [
  { selector: 'node', style: { label: 'data(label)', 'font-size': 10, 'min-zoomed-font-size': 7, 'text-wrap': 'wrap', 'text-valign': 'bottom', 'text-margin-y': 4, color: '#1d2733', 'background-color': '#8a98a8', width: 22, height: 22 } },
  { selector: 'node[kind="tx"]', style: { shape: 'round-rectangle', 'background-color': '#2f6fb3', width: 34, height: 22 } },
  { selector: 'node[?coinjoin]', style: { 'background-color': '#7b4bb7' } },
  { selector: 'node[kind="entity"]', style: { shape: 'hexagon', 'background-color': '#3a8f6b', width: 30, height: 28 } },
  { selector: 'node[kind="more"]', style: { shape: 'tag', 'background-color': '#c7ced6' } },
  { selector: 'node[kind="pool"]', style: { shape: 'barrel', 'background-color': '#d9a400' } },
  { selector: 'node[?service]', style: { 'background-color': '#e07b00', 'border-width': 2, 'border-color': '#8a4b00' } },
  { selector: 'node[service="sanctioned"], node[service="theft"]', style: { 'background-color': '#c62828' } },
  { selector: 'node[?color]', style: { 'background-color': 'data(color)' } },
  { selector: 'node[?noted]', style: { 'border-width': 3, 'border-style': 'dashed', 'border-color': '#1d2733' } },
  { selector: 'node:selected', style: { 'overlay-color': '#f5c400', 'overlay-opacity': 0.35, 'overlay-padding': 6 } },
  { selector: 'edge', style: { width: 'mapData(weight, 0, 1, 1, 12)', 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', 'line-color': '#9fb0c2', 'target-arrow-color': '#9fb0c2', 'arrow-scale': 0.8 } },
  { selector: 'edge[?change]', style: { 'line-style': 'dashed' } },
  { selector: 'edge[?flow]', style: { 'line-color': '#d84315', 'target-arrow-color': '#d84315', opacity: 0.8 } },
  { selector: '.path', style: { 'line-color': '#f5c400', 'target-arrow-color': '#f5c400', 'background-color': '#f5c400', 'z-index': 10 } },
];

/** A Cytoscape canvas in `container`. */
export function createCanvas(container) {
  return cytoscape({
    container,
    style: STYLE,
    minZoom: 0.01,
    maxZoom: 4,
    wheelSensitivity: 0.3,
    textureOnViewport: true,
    hideEdgesOnViewport: false,
    boxSelectionEnabled: true,
  });
}

/** Redraws `cy` from the model, keeping the view when `keepView`. */
export function draw(cy, model, filters, keepView) {
  const els = elements(model, filters);
  const positions = layout(els, model.layout);
  const view = { zoom: cy.zoom(), pan: { ...cy.pan() } };
  cy.batch(() => {
    cy.elements().remove();
    cy.add(els.map((e) => (e.group === 'nodes' ? { ...e, position: positions[e.data.id] } : e)));
  });
  if (keepView) {
    cy.zoom(view.zoom);
    cy.pan(view.pan);
  } else {
    cy.fit(undefined, 40);
    // A few nodes are not blown up to fill the canvas.
    if (cy.zoom() > 1.2) {
      cy.zoom(1.2);
      cy.center();
    }
  }
}

/** The shortest path along the money's direction between two drawn nodes, or null (also when one is not drawn). */
export function moneyPath(cy, fromId, toId) {
  const root = cy.getElementById(fromId);
  const goal = cy.getElementById(toId);
  if (root.empty() || goal.empty()) return null;
  for (const [a, b] of [[root, goal], [goal, root]]) {
    const found = cy.elements().aStar({ root: a, goal: b, directed: true });
    if (found.found) return found.path;
  }
  return null;
}
