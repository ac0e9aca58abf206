// The console's fault-flag switches: one form per service; Apply replaces the whole set
// (a flag left off is off), and the form then shows the flags now in force.
import { el } from './ui.js';
import { act, admin } from './ops.js';

const NUMBERS = [
  ['payment_slow_ms', 'Payment provider delay (ms)', { min: '0', max: '60000', step: '100' }],
  ['db_latency_ms', 'Database connection delay (ms)', { min: '0', max: '60000', step: '10' }],
  ['kafka_produce_fail_rate', 'Relay produce failure rate (0 to 1)', { min: '0', max: '1', step: '0.05' }],
];
const SWITCHES = [
  ['payment_unreachable', 'Payment provider unreachable'],
  ['fail_readiness', 'Fail readiness (/health/ready answers 503)'],
];

export function renderFaults(service, flags) {
  const id = (flag) => `${service}-${flag}`;
  const status = el('p', { role: 'status', class: 'note' });
  const form = el('form', { class: 'switches', 'aria-label': `Fault flags of ${service}`, dataset: { service } },
    el('h3', {}, service),
    SWITCHES.map(([flag, label]) => el('label', { for: id(flag) },
      el('input', { id: id(flag), name: flag, type: 'checkbox', role: 'switch', checked: flags[flag] }), label)),
    NUMBERS.map(([flag, label, limits]) => el('label', { for: id(flag) }, label,
      el('input', { id: id(flag), name: flag, type: 'number', value: String(flags[flag]), ...limits }))),
    el('p', {}, el('button', { type: 'submit' }, `Apply to ${service}`)),
    status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    act(async () => {
      const body = {};
      for (const [flag] of SWITCHES) body[flag] = form.elements[flag].checked;
      for (const [flag] of NUMBERS) body[flag] = Number(form.elements[flag].value);
      const { body: now } = await admin(service, '/faults', { method: 'PUT', body });
      renderFaults(service, now);
      document.querySelector(`form[data-service="${service}"] [role="status"]`).textContent = 'Applied.';
    });
  });
  const existing = document.querySelector(`#faults form[data-service="${service}"]`);
  if (existing) existing.replaceWith(form);
  else document.getElementById('faults').append(form);
}
