// The pages of the side panel: transaction, address, entity, block and search
// results, each from the API's answers, with tables that page, filter and export.
import { get } from './api.js';
import { btc, fill, h, link, short, when, download } from './dom.js';
import { passes } from './graph.js';
import { toCsv } from './export.js';

/** Rows per page of a table. */
export const PAGE = 25;

/**
 * A table of `rows` with paging, the filters applied (rows with `value` and
 * `height`), and a CSV export of every row that passes them.
 */
export function table(name, columns, rows, filters, { total, onPage } = {}) {
  const shown = rows.filter((r) => passes(filters, r.value ?? null, r.height ?? null) && (filters.direction === 'both' || !r.direction || r.direction === filters.direction));
  let page = 0;
  const body = h('tbody');
  const pager = h('div', { class: 'pager' });
  const render = () => {
    fill(body, shown.slice(page * PAGE, (page + 1) * PAGE).map((row) => h('tr', {}, columns.map((c) => h('td', { class: c.class }, c.cell ? c.cell(row) : row[c.key])))));
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    fill(
      pager,
      h('button', { disabled: page === 0, onclick: () => ((page -= 1), render()) }, '‹'),
      ` page ${page + 1} of ${pages} · ${shown.length} rows${shown.length < rows.length ? ` (${rows.length - shown.length} filtered out)` : ''}${total && total > rows.length ? ` · ${total} in all` : ''} `,
      h('button', { disabled: page + 1 >= pages, onclick: () => ((page += 1), render()) }, '›'),
      onPage && total > rows.length ? h('button', { onclick: onPage }, 'Load more') : null,
      h('button', { class: 'csv', dataset: { table: name }, onclick: () => download(`${name}.csv`, toCsv(columns, shown), 'text/csv') }, 'CSV'),
    );
  };
  render();
  return h('div', { class: 'table', dataset: { name } }, h('table', {}, h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c.title)))), body), pager);
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function risk(screening) {
  if (!screening) return null;
  return h(
    'section',
    { class: 'risk' },
    h('h3', {}, 'Risk ', h('span', { class: `level level-${screening.risk_level}` }, `${screening.risk_level} ${screening.risk_score}`)),
    screening.rules_fired.length
      ? h('ul', {}, screening.rules_fired.map((r) => h('li', {}, `${r.rule ?? r.name ?? ''}: ${r.reason ?? r.description ?? ''} (+${r.score ?? ''})`)))
      : h('p', { class: 'muted' }, 'No rule fired.'),
    screening.identifications.length
      ? h('div', {}, h('h3', {}, 'Labels'), h('ul', { class: 'labels' }, screening.identifications.map((l) => h('li', {}, h('b', {}, l.label), ` · ${l.category} · source ${l.source} · ${l.date ?? ''} · confidence ${l.confidence}${l.actor ? ` · actor ${l.actor}` : ''}${l.via ? ` · via ${l.via}` : ''}`))))
      : h('p', { class: 'muted' }, 'No labels.'),
  );
}

async function screening(subject) {
  try {
    return await get(`/v1/screen/${encodeURIComponent(subject)}?hops=3`, 'screening');
  } catch {
    return null;
  }
}

/** A transaction page. */
export async function txPage(txid, ctx) {
  const [tx, screen] = await Promise.all([get(`/v1/transactions/${txid}`, 'transaction'), screening(txid)]);
  const marks = [];
  if (tx.coinjoin) marks.push(h('li', { class: 'mark coinjoin' }, `CoinJoin: ${tx.coinjoin.protocol} (confidence ${tx.coinjoin.confidence}) — ${tx.coinjoin.reasons.join('; ')}`));
  if (tx.peel_chain) marks.push(h('li', { class: 'mark peel' }, `Peel chain: hop ${tx.peel_chain.position} of ${tx.peel_chain.length}`));
  if (tx.change) marks.push(h('li', { class: 'mark change' }, `Change: output ${tx.change.vout}, probability ${tx.change.probability}, by ${tx.change.heuristic}`));
  const inputs = tx.inputs.map((i) => ({ ...i, height: tx.block_height, direction: 'in' }));
  const outputs = tx.outputs.map((o) => ({ ...o, height: tx.block_height, direction: 'out' }));
  return {
    title: `Transaction ${short(txid)}`,
    node: `t:${txid}`,
    tx,
    body: [
      h('h2', {}, 'Transaction'),
      h('p', { class: 'mono' }, txid),
      ctx.actions({ kind: 'tx', txid, tx }),
      facts([
        ['Block', link('block', tx.block_height, String(tx.block_height))],
        ['Time', when(tx.block_time)],
        ['Fee', tx.coinbase ? 'coinbase' : btc(tx.fee)],
        ['Value out', btc(tx.value_out)],
        ['Size', `${tx.size} B, ${tx.vsize} vB`],
      ]),
      marks.length ? h('ul', { class: 'marks' }, marks) : h('p', { class: 'muted' }, 'No CoinJoin, peel-chain or change mark.'),
      risk(screen),
      h('h3', {}, `Inputs (${tx.inputs.length})`),
      table(`inputs-${short(txid)}`, [
        { title: '#', key: 'n' },
        { title: 'Spends', key: 'prevout', cell: (r) => (r.prevout ? link('tx', r.prevout.split(':')[0], `${short(r.prevout.split(':')[0])}:${r.prevout.split(':')[1]}`) : r.status) },
        { title: 'Address', key: 'address', cell: (r) => (r.address ? link('address', r.address) : '—') },
        { title: 'Entity', key: 'entity', cell: (r) => (r.entity !== null && r.entity !== undefined ? link('entity', r.entity, String(r.entity)) : '—') },
        { title: 'Value', key: 'value', class: 'num', cell: (r) => btc(r.value) },
      ], inputs, ctx.filters),
      h('h3', {}, `Outputs (${tx.outputs.length})`),
      table(`outputs-${short(txid)}`, [
        { title: '#', key: 'n', cell: (r) => (tx.change?.vout === r.n ? `${r.n} (change)` : String(r.n)) },
        { title: 'Address', key: 'address', cell: (r) => link('address', r.address) },
        { title: 'Entity', key: 'entity', cell: (r) => (r.entity !== null && r.entity !== undefined ? link('entity', r.entity, String(r.entity)) : '—') },
        { title: 'Value', key: 'value', class: 'num', cell: (r) => btc(r.value) },
        { title: 'Spent by', key: 'spent_by', csv: (r) => r.spent_by?.txid ?? '', cell: (r) => (r.spent_by ? link('tx', r.spent_by.txid) : 'unspent') },
      ], outputs, ctx.filters),
    ],
  };
}

/** An address page. */
export async function addressPage(address, ctx) {
  const [view, screen] = await Promise.all([get(`/v1/addresses/${encodeURIComponent(address)}?limit=500`, 'address'), screening(address)]);
  const history = view.history.map((r) => ({ ...r, value: r.received || r.sent, direction: r.received >= r.sent ? 'in' : 'out' }));
  return {
    title: `Address ${short(address)}`,
    node: `a:${address}`,
    address: view,
    body: [
      h('h2', {}, 'Address'),
      h('p', { class: 'mono' }, address),
      ctx.actions({ kind: 'address', address, view }),
      facts([
        ['Type', view.class],
        ['Entity', view.entity !== null ? link('entity', view.entity, String(view.entity)) : 'not clustered'],
        ['Balance', btc(view.balance)],
        ['Received', btc(view.total_received)],
        ['Sent', btc(view.total_sent)],
        ['Transactions', String(view.tx_count)],
        ['First seen', view.first_seen ? `block ${view.first_seen.height}, ${when(view.first_seen.time)}` : '—'],
        ['Last seen', view.last_seen ? `block ${view.last_seen.height}, ${when(view.last_seen.time)}` : '—'],
      ]),
      risk(screen),
      h('h3', {}, `History (${view.tx_count})`),
      table(`history-${short(address)}`, [
        { title: 'Transaction', key: 'txid', cell: (r) => link('tx', r.txid) },
        { title: 'Height', key: 'height' },
        { title: 'Received', key: 'received', class: 'num', cell: (r) => btc(r.received) },
        { title: 'Sent', key: 'sent', class: 'num', cell: (r) => btc(r.sent) },
      ], history, ctx.filters, { total: view.tx_count }),
      h('h3', {}, `Unspent (${view.unspent_count})`),
      table(`unspent-${short(address)}`, [
        { title: 'Output', key: 'txid', csv: (r) => `${r.txid}:${r.vout}`, cell: (r) => link('tx', r.txid, `${short(r.txid)}:${r.vout}`) },
        { title: 'Height', key: 'height' },
        { title: 'Value', key: 'value', class: 'num', cell: (r) => btc(r.value) },
      ], view.unspent, ctx.filters),
    ],
  };
}

/** An entity page: its addresses (paged from the server), CoinJoins and labels. */
export async function entityPage(id, ctx) {
  const view = await get(`/v1/entities/${encodeURIComponent(id)}?limit=1000`, 'entity');
  const screen = view.addresses.length ? await screening(view.addresses[0]) : null;
  const rows = view.members;
  const why = (m) =>
    m.link === 'alone'
      ? 'the only address'
      : [
          { 'common-input': 'co-spent with a member in ', change: 'change of a member’s payment ', 'paid-change': 'its payment’s change went to a member: ' }[m.link],
          link('tx', m.txid),
          m.heuristic ? ` (${m.heuristic}, p ${m.probability})` : '',
        ];
  return {
    title: `Entity ${view.entity}`,
    node: `e:${view.entity}`,
    entity: view,
    body: [
      h('h2', {}, `Entity ${view.entity}`),
      ctx.actions({ kind: 'entity', entity: view.entity, view }),
      facts([
        ['Addresses', String(view.size)],
        ['Balance', btc(view.balance)],
        ['Received', btc(view.total_received)],
        ['Sent', btc(view.total_sent)],
        ['Active', view.first_seen !== null ? `blocks ${view.first_seen} to ${view.last_seen}` : '—'],
        ['CoinJoins touched', String(view.coinjoins_touched)],
      ]),
      h('p', { class: 'muted' }, 'Addresses join by spending together (common-input ownership, never in a CoinJoin) and by the change links the change model holds at its threshold; two labelled services or CoinJoin co-participants are never merged.'),
      risk(screen),
      h('h3', {}, `Addresses (${view.size})`),
      table(`entity-${view.entity}-addresses`, [
        { title: 'Address', key: 'address', cell: (r) => link('address', r.address) },
        { title: 'Why it is in the entity', key: 'link', class: 'wrap', csv: (r) => [r.link, r.txid ?? '', r.heuristic ?? '', r.probability ?? ''].join(' ').trim(), cell: why },
      ], rows, ctx.filters, { total: view.size }),
      view.coinjoins.length
        ? [h('h3', {}, 'CoinJoins'), table(`entity-${view.entity}-coinjoins`, [
            { title: 'Transaction', key: 'txid', cell: (r) => link('tx', r.txid) },
            { title: 'Protocol', key: 'protocol' },
            { title: 'Confidence', key: 'confidence' },
          ], view.coinjoins, ctx.filters)]
        : null,
    ],
  };
}

/** A block page. */
export async function blockPage(id, ctx) {
  const view = await get(`/v1/blocks/${encodeURIComponent(id)}?limit=1000`, 'block');
  const rows = view.txs.map((t) => ({ ...t, value: t.value_out, height: view.height }));
  return {
    title: `Block ${view.height}`,
    node: null,
    body: [
      h('h2', {}, `Block ${view.height}`),
      h('p', { class: 'mono' }, view.hash),
      facts([
        ['Time', when(view.time)],
        ['Transactions', String(view.tx_count)],
        ['Fees', btc(view.fees)],
        ['Size', `${view.size} B`],
        ['Previous', view.height > 0 ? link('block', view.height - 1, String(view.height - 1)) : '—'],
        ['Next', view.next_hash ? link('block', view.height + 1, String(view.height + 1)) : '—'],
      ]),
      table(`block-${view.height}`, [
        { title: 'Transaction', key: 'txid', cell: (r) => link('tx', r.txid) },
        { title: 'In', key: 'inputs' },
        { title: 'Out', key: 'outputs' },
        { title: 'Value out', key: 'value_out', class: 'num', cell: (r) => btc(r.value_out) },
        { title: 'CoinJoin', key: 'coinjoin', cell: (r) => r.coinjoin ?? '' },
      ], rows, ctx.filters, { total: view.tx_count }),
    ],
  };
}

/** The pages a search names: opens the only one, lists several. */
export async function searchPage(query) {
  const found = await get(`/v1/search?q=${encodeURIComponent(query)}`, 'search');
  const href = (m) => (m.kind === 'label' ? `#/address/${encodeURIComponent(m.id)}` : m.kind === 'outpoint' ? `#/tx/${m.id.split(':')[0]}` : `#/${m.kind === 'transaction' ? 'tx' : m.kind}/${encodeURIComponent(m.id)}`);
  if (found.matches.length === 1) return { redirect: href(found.matches[0]) };
  return {
    title: `Search ${query}`,
    node: null,
    body: [
      h('h2', {}, `“${found.query}”`),
      h('ul', { class: 'matches' }, found.matches.map((m) => h('li', {}, h('a', { href: href(m) }, `${m.kind}: ${short(m.id)}`), ` — ${m.title}`))),
    ],
  };
}
