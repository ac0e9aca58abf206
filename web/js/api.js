// Every request of the pages goes through `call`: JSON in and out, on the page's own origin
// (the edge routes each path to its service). A failure is thrown as an ApiError that carries
// the problem+json `title` and `detail` the service answered, which is all a person is shown.

export class ApiError extends Error {
  constructor(problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.problem = problem;
  }

  get code() {
    return this.problem.code;
  }

  get status() {
    return this.problem.status;
  }
}

/** Sends one request; resolves to { body, headers } or throws an ApiError. */
export async function call(path, { method = 'GET', token, body, headers = {} } = {}) {
  const sent = { Accept: 'application/json, application/problem+json', ...headers };
  if (token) sent.Authorization = `Bearer ${token}`;
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError({
      title: 'No connection',
      detail: 'the shop did not answer; check that `make up` is running, then try again',
    });
  }
  const type = response.headers.get('Content-Type') || '';
  const parsed = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiError(asProblem(parsed, response));
  return { body: parsed, headers: response.headers };
}

// Every service answers problem+json; this covers what is not (a proxy's page, say), so the
// person still reads a sentence rather than a bare status code.
function asProblem(parsed, response) {
  if (parsed && typeof parsed.title === 'string') return parsed;
  return {
    title: response.statusText || 'Request failed',
    detail: 'the answer was not a problem description; the logs under .run/logs/ say more',
    status: response.status,
  };
}

/** The storefront's settings (dev tokens, Jaeger's URL); empty where none are served. */
export async function loadConfig() {
  try {
    const { body } = await call('/config.json');
    return { customers: [], admin: null, jaeger_url: null, ...body };
  } catch {
    return { customers: [], admin: null, jaeger_url: null };
  }
}
