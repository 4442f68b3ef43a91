import { useEffect, useRef, useState, type FormEvent } from 'react';

interface Props {
  title: string;
  onSubmit: (reason: string) => void;
  onCancel: () => void;
}

// Asks for the reason a reject or a block needs (a modal <dialog>: focus is
// trapped inside and Escape cancels).
export function ReasonDialog({ title, onSubmit, onCancel }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim()) onSubmit(reason.trim());
  };
  return (
    <dialog ref={ref} className="card dialog" onCancel={onCancel} aria-labelledby="reason-title">
      <form onSubmit={submit}>
        <h2 id="reason-title">{title}</h2>
        <label htmlFor="reason">Reason</label>
        <textarea id="reason" required value={reason} onChange={(e) => setReason(e.target.value)} rows={3} />
        <div className="actions">
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button primary">
            Confirm
          </button>
        </div>
      </form>
    </dialog>
  );
}
