// What a case hands on: the canvas as PNG and SVG, tables as CSV, the case's own
// labels as a GraphSense TagPack, and a self-contained HTML report.
import { btc, csvField, download, escapeHtml } from './dom.js';

/** Rows as CSV with a header line. */
export function toCsv(columns, rows) {
  const lines = [columns.map((c) => csvField(c.title)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(c.csv ? c.csv(row) : row[c.key])).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** The canvas as SVG: every drawn node and edge at its position. */
export function toSvg(cy) {
  const box = cy.elements().boundingBox({ includeLabels: true });
  const pad = 20;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(box.w + 2 * pad)}" height="${Math.ceil(box.h + 2 * pad)}" viewBox="${box.x1 - pad} ${box.y1 - pad} ${box.w + 2 * pad} ${box.h + 2 * pad}" font-family="sans-serif" font-size="10">`,
    `<rect x="${box.x1 - pad}" y="${box.y1 - pad}" width="${box.w + 2 * pad}" height="${box.h + 2 * pad}" fill="#ffffff"/>`,
  ];
  cy.edges().forEach((e) => {
    const s = e.source().position();
    const t = e.target().position();
    const width = parseFloat(e.style('width')) || 1;
    parts.push(`<line x1="${s.x}" y1="${s.y}" x2="${t.x}" y2="${t.y}" stroke="${e.style('line-color')}" stroke-width="${width}" stroke-opacity="0.8"><title>${escapeHtml(btc(e.data('value')))}</title></line>`);
  });
  cy.nodes().forEach((n) => {
    const p = n.position();
    const w = n.width();
    const hgt = n.height();
    const fill = n.style('background-color');
    const shape = n.data('kind') === 'tx' ? `<rect x="${p.x - w / 2}" y="${p.y - hgt / 2}" width="${w}" height="${hgt}" rx="4" fill="${fill}"/>` : `<ellipse cx="${p.x}" cy="${p.y}" rx="${w / 2}" ry="${hgt / 2}" fill="${fill}"/>`;
    const lines = String(n.data('label') ?? '').split('\n');
    const text = lines.map((line, i) => `<tspan x="${p.x}" dy="${i === 0 ? 0 : 12}">${escapeHtml(line)}</tspan>`).join('');
    parts.push(`<g>${shape}<text x="${p.x}" y="${p.y + hgt / 2 + 12}" text-anchor="middle" fill="#1d2733">${text}</text></g>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The canvas as a PNG blob: the whole graph, scaled down to fit a canvas the browser can make. */
export function toPng(cy) {
  const box = cy.elements().boundingBox();
  const scale = Math.min(2, 8000 / Math.max(1, box.w), 8000 / Math.max(1, box.h));
  return cy.png({ output: 'blob-promise', full: true, scale, bg: '#ffffff' });
}

/** A TagPack (YAML) of the case's own labels. */
export function toTagpack(caseName, labels, creator) {
  const q = (s) => JSON.stringify(String(s));
  const lines = [
    `title: ${q(caseName)}`,
    `creator: ${q(creator)}`,
    `description: ${q('Labels added in a chainsleuth investigation')}`,
    `lastmod: ${new Date().toISOString().slice(0, 10)}`,
    'currency: BTC',
    'is_public: false',
    'tags:',
  ];
  for (const l of labels) {
    lines.push(`  - address: ${q(l.address)}`, `    label: ${q(l.label)}`, `    category: ${q(l.category)}`, `    confidence: ${Number(l.confidence ?? 50)}`);
    if (l.actor) lines.push(`    actor: ${q(l.actor)}`);
  }
  return lines.join('\n') + '\n';
}

/** A self-contained HTML report of the case: what was found and from which data. */
export function toReport({ name, asOf, trace, notes, labels, svg, txCount }) {
  const rows = (items, cells) => items.map((item) => `<tr>${cells(item).map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  const tip = asOf?.tip ? `${asOf.tip.height} (${asOf.tip.hash})` : 'unknown';
  const traceSection = trace
    ? `<h2>Trace</h2><p>Policy ${escapeHtml(trace.report.policy)}, ${escapeHtml(trace.report.direction)}, at most ${escapeHtml(trace.report.max_hops)} hops, minimum ${escapeHtml(btc(trace.report.min_value))}, from ${escapeHtml(trace.report.starts.join(', '))}. Traced ${escapeHtml(btc(trace.report.traced_value))} through ${escapeHtml(trace.report.summary.transactions)} transactions.</p>
<h3>Services reached</h3><table><tr><th>Service</th><th>Category</th><th>Value</th><th>Share</th><th>Deposits</th></tr>${rows(trace.report.services, (s) => [s.name, s.category, btc(s.value), `${(s.share * 100).toFixed(2)}%`, s.deposits])}</table>
<h3>Endpoints</h3><table><tr><th>Where</th><th>Kind</th><th>Value</th><th>Service</th></tr>${rows(trace.report.endpoints.slice(0, 200), (e) => [e.address ?? '(none)', e.kind, btc(e.value), e.service ?? ''])}</table>`
    : '<h2>Trace</h2><p>No trace was run in this case.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(name)} — chainsleuth case report</title>
<style>body{font-family:sans-serif;margin:2em;color:#1d2733}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #c7ced6;padding:2px 6px;font-size:12px;text-align:left}svg{max-width:100%;height:auto;border:1px solid #c7ced6}</style></head>
<body><h1>${escapeHtml(name)}</h1>
<p>Generated ${escapeHtml(new Date().toISOString())} by chainsleuth from the index at tip ${escapeHtml(tip)}, generation ${escapeHtml(asOf?.generation ?? '?')}; clustering ${escapeHtml(asOf?.clustering?.version ?? 'none')}; labels version ${escapeHtml(asOf?.labels?.version ?? '?')} (${escapeHtml(asOf?.labels?.count ?? 0)} labels).</p>
<p>${escapeHtml(txCount)} transactions on the canvas.</p>
${traceSection}
<h2>Labels added in this case</h2><table><tr><th>Address</th><th>Label</th><th>Category</th><th>Confidence</th></tr>${rows(labels, (l) => [l.address, l.label, l.category, l.confidence])}</table>
<h2>Notes</h2><table><tr><th>Node</th><th>Note</th></tr>${rows(Object.entries(notes), ([node, text]) => [node, text])}</table>
<h2>Graph</h2>${svg}
</body></html>
`;
}

export { download };
