// The operations console (admin token): each service's event backbone, the dead letters of
// every topic with a replay button, the fault flags, and recent checkouts with their traces.
// Both services answer the same /v1/admin paths; the edge tells them apart by the
// /ops/<service> prefix.
import { call, loadConfig } from './api.js';
import { el, money, short, time, showProblem, clearProblem, traceLink } from './ui.js';
import { tokenSubject } from './session.js';
import { renderFaults } from './faults.js';

const $ = (id) => document.getElementById(id);
const problem = $('problem');
const SERVICES = ['checkout-service', 'order-service'];
// Each topic's dead letters are read through the service that consumes it.
const TOPICS = [
  ['orderflow.checkout.v1', 'order-service'],
  ['orderflow.order.v1', 'checkout-service'],
  ['orderflow.payment.v1', 'order-service'],
];

export const ops = { token: null, config: null };

export async function act(action) {
  clearProblem(problem);
  try {
    return await action();
  } catch (error) {
    showProblem(problem, error);
    return undefined;
  }
}

export const admin = (service, path, options = {}) =>
  call(`/ops/${service}/v1/admin${path}`, { ...options, token: ops.token });

async function main() {
  ops.config = await loadConfig();
  $('jaeger-note').textContent = ops.config.jaeger_url
    ? `Trace ids link to Jaeger at ${ops.config.jaeger_url}.`
    : 'No Jaeger URL is configured (JAEGER_URL when `make up` runs): trace ids are shown, not linked.';
  if (ops.config.admin) {
    useToken(ops.config.admin.token);
  } else {
    $('token-entry').hidden = false;
    $('sign-in').addEventListener('submit', (event) => {
      event.preventDefault();
      useToken($('token').value.trim());
    });
  }
  $('refresh').addEventListener('click', () => act(refresh));
}

function useToken(token) {
  ops.token = token;
  $('operator').textContent = `Operator: ${tokenSubject(token) || 'admin'}`;
  act(async () => {
    await refresh();
    for (const service of SERVICES) {
      const { body } = await admin(service, '/faults');
      renderFaults(service, body);
    }
  });
  // Bounded by the page's life; a failed refresh shows its problem and the next one tries again.
  setInterval(() => act(showBackbone), 5000);
}

async function refresh() {
  await Promise.all([showBackbone(), showDeadLetters(), showCheckouts()]);
}

async function showBackbone() {
  const cards = await Promise.all(SERVICES.map(async (service) => {
    const { body: s } = await admin(service, '/outbox');
    const row = (label, value) => [el('dt', {}, label), el('dd', {}, String(value))];
    return el('section', { 'aria-label': service, class: 'backbone', dataset: { service } },
      el('h3', {}, service),
      el('dl', { class: 'counters' },
        row('Outbox unpublished', s.outbox.unpublished),
        row('Oldest unpublished', `${s.outbox.oldest_age_seconds.toFixed(1)} s`),
        row('Relay', s.relay_embedded ? `embedded, ${s.relay_lanes_owned} lanes owned` : 'not in this process'),
        row('Relay published', s.relay_published_total),
        row('Relay failures', s.relay_failures_total),
        row('Relay rejected rows', s.relay_rejected_total),
        row('Consumer processed', s.consumer_processed_total),
        row('Consumer duplicates', s.consumer_duplicates_total),
        row('Consumer skipped', s.consumer_skipped_total),
        row('Consumer retried', s.consumer_retried_total),
        row('Consumer dead-lettered', s.consumer_dead_lettered_total)),
      s.rejected.length ? el('p', {}, `${s.rejected.length} outbox rows the broker refused; see GET /v1/admin/outbox.`) : null);
  }));
  $('backbone').replaceChildren(...cards);
}

export async function showDeadLetters() {
  const blocks = await Promise.all(TOPICS.map(async ([topic, service]) => {
    const { body } = await admin(service, `/dead-letters?topic=${encodeURIComponent(topic)}`);
    return el('section', { 'aria-label': `Dead letters of ${topic}`, class: 'dlq', dataset: { topic } },
      el('h3', {}, el('code', {}, topic), ` — ${body.items.length} dead letter${body.items.length === 1 ? '' : 's'}`),
      body.items.length === 0 ? el('p', { class: 'note' }, 'None.') : deadLetterTable(topic, service, body.items));
  }));
  $('dead-letters').replaceChildren(...blocks);
}

function deadLetterTable(topic, service, letters) {
  return el('table', {},
    el('thead', {}, el('tr', {}, ['Where', 'Key', 'Event', 'dlq-* headers', ''].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, letters.map((letter) => {
      const headers = Object.fromEntries(letter.headers);
      const where = `${letter.partition}/${letter.offset}`;
      const result = el('span', { role: 'status' });
      const replay = el('button', {
        type: 'button',
        'aria-label': `Replay dead letter ${where} of ${topic}`,
        onclick: () => act(async () => {
          replay.disabled = true;
          try {
            const { body } = await admin(service, `/dead-letters/${topic}/${letter.partition}/${letter.offset}/replay`, { method: 'POST' });
            result.textContent = ` Replayed to ${body.replayed_to}.`;
          } catch (error) {
            replay.disabled = false;
            throw error;
          }
        }),
      }, 'Replay');
      return el('tr', { dataset: { key: letter.key || '' } },
        el('td', {}, el('code', {}, where)),
        el('td', {}, el('code', {}, letter.key || '—')),
        el('td', {}, el('code', {}, headers.ce_type || '—'), el('br'), traceLink(traceOf(headers.ce_traceparent), ops.config.jaeger_url)),
        el('td', {}, el('dl', { class: 'headers' },
          letter.headers.filter(([name]) => name.startsWith('dlq-'))
            .map(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]))),
        el('td', {}, replay, result));
    })));
}

const traceOf = (traceparent) => (traceparent ? traceparent.split('-')[1] : null);

// Every customer's orders (the admin sees all), each with its checkout and the trace the
// checkout started (the order keeps it from its checkout.submitted event).
async function showCheckouts() {
  const { body } = await call('/v1/orders?limit=15', { token: ops.token });
  $('checkouts').replaceChildren(...body.items.map((order) => {
    const traceId = order.trace_id || null;
    return el('tr', {},
      el('td', {}, time(order.created_at)),
      el('td', {}, order.customer_id),
      el('td', {}, el('code', { title: order.checkout_id }, short(order.checkout_id))),
      el('td', {}, el('code', { title: order.order_id }, short(order.order_id))),
      el('td', {}, order.status, order.cancel_reason ? ` (${order.cancel_reason})` : '', ` · ${money(order.total_minor, order.currency)}`),
      el('td', {}, traceLink(traceId, ops.config.jaeger_url)));
  }));
}

main();
