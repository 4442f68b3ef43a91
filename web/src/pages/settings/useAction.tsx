// One message line for a settings card: the outcome of its last action,
// as a status (ok) or an alert (the server's error message).
import { useState } from 'react';
import { ApiError } from '../../api/client';

export function useAction() {
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const run = async (fn: () => Promise<string>) => {
    try {
      setMessage({ error: false, text: await fn() });
    } catch (e) {
      setMessage({ error: true, text: e instanceof ApiError ? e.message : String(e) });
    }
  };
  const view = message && (
    <p className={message.error ? 'form-error' : 'notice notice-ok'} role={message.error ? 'alert' : 'status'}>
      {message.text}
    </p>
  );
  return { run, view };
}
