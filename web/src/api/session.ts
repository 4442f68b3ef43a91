// The signed-in session. The access token lives in this module's memory only;
// the refresh token is an HttpOnly cookie the browser sends to /api/auth.
//
// A refresh token is single use, and presenting a used one again revokes the
// whole sign-in (theft detection), so at most one refresh is in flight: one
// promise per tab, and the Web Locks API serializes tabs of the same origin
// (each tab then sends the cookie the previous refresh set).
import type { Me } from './types';

export type SessionStatus = 'loading' | 'signed-in' | 'signed-out';

export interface SessionState {
  status: SessionStatus;
  user: Me | null;
  // Why the session ended (shown on the sign-in page), if not by signing out.
  notice: string | null;
}

interface TokenAnswer {
  access_token: string;
  expires_in: number;
}

let access: string | null = null;
let state: SessionState = { status: 'loading', user: null, notice: null };
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

function setState(next: SessionState) {
  state = next;
  for (const l of listeners) l();
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function sessionState(): SessionState {
  return state;
}

export function accessToken(): string | null {
  return access;
}

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function envelope<T>(res: Response): Promise<T> {
  const json = (await res.json().catch(() => null)) as
    | { success: true; data: T }
    | { success: false; error: { code: string; message: string } }
    | null;
  if (!json) throw new Error(`the server answered ${res.status} without JSON`);
  if (!json.success) throw Object.assign(new Error(json.error.message), { code: json.error.code, status: res.status });
  return json.data;
}

// Refreshes again at 80% of the token's life (setTimeout's limit is ~24.8 days).
function scheduleRefresh(expiresInSeconds: number) {
  clearTimeout(refreshTimer);
  const ms = Math.min(Math.max(expiresInSeconds * 800, 5_000), 2_000_000_000);
  refreshTimer = setTimeout(() => void refresh(), ms);
}

async function adopt(tokens: TokenAnswer): Promise<void> {
  access = tokens.access_token;
  scheduleRefresh(tokens.expires_in);
  const res = await fetch('/api/auth/me', { headers: { authorization: `Bearer ${access}` } });
  const me = await envelope<Me>(res);
  setState({ status: 'signed-in', user: me, notice: null });
}

function end(notice: string | null) {
  access = null;
  clearTimeout(refreshTimer);
  setState({ status: 'signed-out', user: null, notice });
}

type RefreshOutcome = 'ok' | 'refused' | 'unreachable';

async function refreshOnce(): Promise<RefreshOutcome> {
  const run = async (): Promise<TokenAnswer | 'refused'> => {
    const res = await post('/api/auth/refresh', {});
    // No cookie, or a refresh token that is expired, used or revoked.
    if (res.status === 401 || res.status === 400) return 'refused';
    return envelope<TokenAnswer>(res);
  };
  try {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    const tokens = locks ? await locks.request('docrunch-refresh', run) : await run();
    if (tokens === 'refused') return 'refused';
    await adopt(tokens);
    return 'ok';
  } catch {
    return 'unreachable';
  }
}

// Trades the refresh cookie for a new access token; false when that did not
// work. A refused cookie ends the session (back to sign-in, with a notice if
// it was signed in); a server out of reach keeps a signed-in session and
// tries again in 30 s, since signing out over a network blip would lose the
// user's place. Concurrent callers share one request.
export function refresh(): Promise<boolean> {
  if (inflight) return inflight;
  const wasSignedIn = state.status === 'signed-in';
  inflight = refreshOnce()
    .then((outcome) => {
      if (outcome === 'refused') end(wasSignedIn ? 'Your session has expired. Please sign in again.' : null);
      else if (outcome === 'unreachable') {
        if (wasSignedIn) scheduleRefresh(30 / 0.8);
        else end('The server could not be reached. Reload the page to try again.');
      }
      return outcome === 'ok';
    })
    .finally(() => {
      inflight = null;
    });
  return inflight;
}

export async function signIn(username: string, password: string): Promise<void> {
  const res = await post('/api/auth/login', { username, password, cookie: true });
  await adopt(await envelope<TokenAnswer>(res));
}

export async function signOut(): Promise<void> {
  try {
    await post('/api/auth/logout', {});
  } finally {
    end(null);
  }
}

// The server refused the access token even after a refresh.
export function sessionExpired(): void {
  end('Your session has expired. Please sign in again.');
}
