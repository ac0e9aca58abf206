// Who is shopping: a customer's dev token, and a cart session of that customer. A session is
// bound to the first customer that uses it, so each customer keeps its own (remembered in
// localStorage, sent as X-Session-Id).
import { call } from './api.js';

export const shopper = { customer: null, token: null, sessionId: null };

const sessionKey = (customer) => `orderflow.session.${customer}`;

// The sign-in under way. Sign-ins run one after another, and a call as the shopper waits for
// the last: a customer chosen while the page still signs in the remembered one, or a click on
// "Add to cart" before the new session's answer, must never send a cart call without a session.
let signingIn = Promise.resolve();

export function signIn(customer, token) {
  signingIn = signingIn.catch(() => {}).then(async () => {
    Object.assign(shopper, { customer, token, sessionId: localStorage.getItem(sessionKey(customer)) });
    if (!shopper.sessionId) await newSession();
  });
  return signingIn;
}

export async function newSession() {
  const { body } = await call('/v1/sessions', { method: 'POST', token: shopper.token });
  shopper.sessionId = body.session_id;
  localStorage.setItem(sessionKey(shopper.customer), body.session_id);
}

/** A call as the shopper, with the cart session; a session that expired is replaced once. */
export async function asShopper(path, options = {}) {
  await signingIn.catch(() => {});
  if (!shopper.sessionId) await newSession();
  const send = () => call(path, {
    ...options,
    token: shopper.token,
    headers: { 'X-Session-Id': shopper.sessionId, ...(options.headers || {}) },
  });
  try {
    return await send();
  } catch (error) {
    if (!['session_not_found', 'session_of_another_customer'].includes(error.code)) throw error;
    await newSession();
    return send();
  }
}

/** The customer a token names (its `sub`), for a token pasted by hand. */
export function tokenSubject(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).sub || null;
  } catch {
    return null;
  }
}
