// fetch for the REST API: the bearer token, the {success, data|error}
// envelope, and one refresh-and-retry on 401 before giving up the session.
import { accessToken, refresh, sessionExpired } from './session';
import type { Page } from './types';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

async function send(method: Method, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = accessToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    signal,
  });
}

export async function api<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res = await send(method, path, body, signal);
  if (res.status === 401) {
    if (!(await refresh())) throw new ApiError('Your session could not be renewed.', 401, 'UNAUTHORIZED');
    res = await send(method, path, body, signal);
    if (res.status === 401) {
      sessionExpired();
      throw new ApiError('Your session has expired.', 401, 'UNAUTHORIZED');
    }
  }
  const json = (await res.json().catch(() => null)) as
    | { success: true; data: T }
    | { success: false; error: { code: string; message: string } }
    | null;
  if (!json) throw new ApiError(`The server answered ${res.status} without JSON.`, res.status, 'INTERNAL');
  if (!json.success) throw new ApiError(json.error.message, res.status, json.error.code);
  return json.data;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, undefined, signal);

// Every page of a list route (`limit` 200, following next_cursor).
export async function getAll<T>(path: string, signal?: AbortSignal, onPage?: (items: T[]) => void): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const query: string = `${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: Page<T> = await get<Page<T>>(path + query, signal);
    items.push(...page.items);
    onPage?.(page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}
