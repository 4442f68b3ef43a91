// A live stream (/ws/...): a single-use ticket from /api/auth/ws-ticket, then
// the WebSocket; on close, a new ticket and a new socket after a backoff
// (1 s doubling to 30 s). `onOpen` runs on every (re)connection: anything
// sent while the socket was down is lost, so a view reloads there.
import { api } from './client';
import type { StreamMessage } from './types';

export type StreamStatus = 'connecting' | 'live' | 'offline';

export interface StreamHandlers {
  onMessage: (message: StreamMessage) => void;
  onOpen?: () => void;
  onStatus?: (status: StreamStatus) => void;
}

export function openStream(route: string, handlers: StreamHandlers): () => void {
  let socket: WebSocket | null = null;
  let stopped = false;
  let delay = 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const retry = () => {
    if (stopped) return;
    handlers.onStatus?.('offline');
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 30_000);
  };

  async function connect() {
    if (stopped) return;
    handlers.onStatus?.('connecting');
    let ticket: string;
    try {
      ticket = (await api<{ ticket: string }>('POST', '/auth/ws-ticket', {})).ticket;
    } catch {
      retry();
      return;
    }
    if (stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}${route}?ticket=${encodeURIComponent(ticket)}`);
    socket = ws;
    ws.onmessage = (e) => {
      let message: StreamMessage;
      try {
        message = JSON.parse(String(e.data)) as StreamMessage;
      } catch {
        return;
      }
      if (message.type === 'hello') {
        delay = 1000;
        handlers.onStatus?.('live');
        handlers.onOpen?.();
      } else if (message.type !== 'heartbeat') {
        handlers.onMessage(message);
      }
    };
    ws.onclose = () => {
      if (socket === ws) socket = null;
      retry();
    };
  }

  void connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close();
  };
}
