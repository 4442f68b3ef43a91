// An id with a button that copies it.
import { useState } from 'react';

export function CopyId({ id }: { id: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(id).then(() => {
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    });
  };
  return (
    <span className="copy-id">
      <code>{id}</code>
      <button type="button" className="icon-button" onClick={copy} aria-label={`Copy ${id}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}
