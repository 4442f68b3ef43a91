import { useSyncExternalStore } from 'react';
import { sessionState, subscribeSession, type SessionState } from '../api/session';

export function useSession(): SessionState {
  return useSyncExternalStore(subscribeSession, sessionState);
}

// Whether the signed-in user may change things (admin routes).
export function useCanWrite(): boolean {
  return useSession().user?.role === 'admin';
}
