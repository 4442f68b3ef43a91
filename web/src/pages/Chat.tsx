// Chat with the knowledge base (/api/chat, docs/chat.md): the sessions, most
// recently active first, the selected one's messages (/chat/chat-N, so a
// reload keeps it), and a question box. A new conversation is created on its
// first question, titled by that question's first line. Every answer shows
// its citations as links to where they live in the dashboard: `path:line` the
// file's function docs, `task-N` the task, `adr-NNN` the decision in place
// (the dashboard has no decision page); an unverified citation (not among the
// passages the answer was given) is marked and never a link.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { api, ApiError, get } from '../api/client';
import type { Decision, Page } from '../api/types';
import { Link, navigate } from '../app/router';
import { Empty, ErrorBox, Loading } from '../components/states';
import { Time } from '../components/Time';

export interface Citation {
  label: string;
  verified: boolean;
  source?: string;
  kind?: string;
  title?: string;
  path?: string;
  line?: number;
}

export interface Message {
  id: number;
  session_id: string;
  role: 'user' | 'assistant';
  content: string;
  citations: Citation[];
  created_at: string;
  mode?: 'generated' | 'extractive';
  provider?: string | null;
  model?: string | null;
}

export interface Session {
  id: string;
  title: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  messages: number;
}

interface Thread {
  session: Session;
  messages: Message[];
}

interface AskAnswer {
  session_id: string;
  question: Message;
  answer: Message;
  grounded: boolean;
}

// Where a verified citation opens in the dashboard, or null (shown in place
// or not at all). A module (or file) opens its file's function docs; a
// function or class narrows them to its name.
export function citationLink(c: Citation): string | null {
  if (!c.verified) return null;
  if (/^task-\d+$/.test(c.label)) return `/tasks/${c.label}`;
  if (c.path) {
    const q = new URLSearchParams({ path: c.path });
    const name = (c.title ?? '').split('.').pop() ?? '';
    if (c.kind && c.kind !== 'module' && c.kind !== 'file' && name) q.set('name', name);
    return `/functions?${q}`;
  }
  return null;
}

const questions = (messages: number) => {
  const n = Math.floor(messages / 2);
  return n === 1 ? '1 question' : `${n} questions`;
};

const isDecision = (label: string) => /^adr-\d+$/i.test(label);

// A session's title from the first question: its first line, at most 120
// characters and 200 bytes (the route's limit).
export function titleOf(question: string): string {
  const text = question.trim();
  const first = text.split('\n')[0]!.trim() || text;
  let title = [...first].slice(0, 120).join('');
  const bytes = new TextEncoder();
  while (bytes.encode(title).length > 200) title = [...title].slice(0, -1).join('');
  return title;
}

// "[a.py:3]", "[task-1; adr-002]" in an answer: the labels the server checked.
const BRACKETS = /\[([^[\]\n]+)\]/g;

function AnswerText({ content, citations }: { content: string; citations: Citation[] }) {
  const byLabel = new Map(citations.map((c) => [c.label.toLowerCase(), c]));
  const parts: ReactNode[] = [];
  let last = 0;
  for (const m of content.matchAll(BRACKETS)) {
    const labels = m[1]!.split(/[,;]/).map((s) => s.trim());
    const cited = labels.map((l) => byLabel.get(l.toLowerCase()));
    if (!cited.every(Boolean)) continue; // brackets that are not citations stay text
    parts.push(content.slice(last, m.index));
    parts.push(
      <span key={m.index} className="cite-inline">
        [
        {cited.map((c, i) => (
          <span key={c!.label}>
            {i > 0 && '; '}
            <CitationRef citation={c!} />
          </span>
        ))}
        ]
      </span>,
    );
    last = m.index + m[0].length;
  }
  parts.push(content.slice(last));
  return <div className="prewrap answer-text">{parts}</div>;
}

function CitationRef({ citation }: { citation: Citation }) {
  const to = citationLink(citation);
  if (to) return <Link to={to}>{citation.label}</Link>;
  return <span className={citation.verified ? undefined : 'cite-unverified'}>{citation.label}</span>;
}

// A decision cited by an answer, loaded when opened.
function DecisionPeek({ id, children }: { id: string; children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const [decision, setDecision] = useState<Decision | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const panel = useId();
  useEffect(() => {
    if (!open || decision) return;
    const ac = new AbortController();
    get<Decision>(`/decisions/${encodeURIComponent(id)}`, ac.signal)
      .then((d) => {
        setDecision(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!ac.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      });
    return () => ac.abort();
  }, [open, decision, id]);
  return (
    <>
      <button
        type="button"
        className="link-button"
        aria-expanded={open}
        aria-controls={panel}
        onClick={() => setOpen(!open)}
      >
        {id}
      </button>
      {children}
      {open && (
        <div id={panel} className="decision-peek">
          {error && <ErrorBox error={error} />}
          {!error && !decision && <Loading label="Loading the decision…" />}
          {decision && (
            <>
              <strong>{decision.title}</strong> <span className="badge">{decision.status}</span>
              <p className="prewrap">{decision.decision}</p>
              {decision.rationale && <p className="small prewrap">Why: {decision.rationale}</p>}
              {decision.task_id && (
                <p className="small">
                  Recorded for <Link to={`/tasks/${decision.task_id}`}>{decision.task_id}</Link>
                </p>
              )}
            </>
          )}
        </div>
      )}
    </>
  );
}

function Citations({ citations }: { citations: Citation[] }) {
  if (!citations.length) return null;
  return (
    <div className="citations">
      <h3>Citations</h3>
      <ul>
        {citations.map((c) => {
          const to = citationLink(c);
          const about = (
            <span className="small">
              {' '}
              {c.title} {c.kind && `(${c.kind})`}
            </span>
          );
          return (
            <li key={c.label} className={c.verified ? 'citation' : 'citation citation-unverified'}>
              {to ? (
                <>
                  <Link to={to}>
                    <code>{c.label}</code>
                  </Link>
                  {about}
                </>
              ) : c.verified && isDecision(c.label) ? (
                <DecisionPeek id={c.label}>{about}</DecisionPeek>
              ) : c.verified ? (
                <>
                  <code>{c.label}</code>
                  {about}
                </>
              ) : (
                <>
                  <code>{c.label}</code>
                  <span className="badge unverified">
                    <span aria-hidden="true">⚠ </span>unverified
                  </span>
                  <span className="small"> cited, but not among the passages the answer was given</span>
                </>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function MessageView({ message }: { message: Message }) {
  if (message.role === 'user') {
    return (
      <li className="chat-message chat-question">
        <div className="chat-who">
          You asked <Time iso={message.created_at} rel />
        </div>
        <div className="prewrap">{message.content}</div>
      </li>
    );
  }
  const generated = message.mode === 'generated';
  const grounded = message.citations.some((c) => c.verified);
  return (
    <li className="chat-message chat-answer card">
      <div className="chat-who">
        {generated ? (
          <>
            <span className="badge mode-generated">generated</span>{' '}
            {[message.provider, message.model].filter(Boolean).join(' / ')}
          </>
        ) : (
          <>
            <span className="badge mode-extractive">extractive</span> no chat profile: the best passages
          </>
        )}{' '}
        <Time iso={message.created_at} rel />
      </div>
      {generated && !grounded && (
        <p className="notice notice-error" role="note">
          Not grounded: no citation in this answer matches a passage it was given.
        </p>
      )}
      <AnswerText content={message.content} citations={message.citations} />
      <Citations citations={message.citations} />
    </li>
  );
}

// The server's refusal with its status and code (402 LLM_BUDGET_EXCEEDED,
// 503 STORAGE_UNAVAILABLE when the server runs no chat, ...).
function ChatError({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const code = error instanceof ApiError ? `${error.status} ${error.code}` : 'Network error';
  return (
    <div className="state state-error" role="alert">
      <span>
        <strong>{code}:</strong> {error.message}
      </span>
      {onRetry && (
        <button type="button" className="button small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export default function Chat({ params }: { params: Record<string, string> }) {
  const id = params.id ?? null;
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [sessionsError, setSessionsError] = useState<Error | null>(null);
  const [sessionsCursor, setSessionsCursor] = useState<string | null>(null);
  const [thread, setThread] = useState<Thread | null>(null);
  const [threadError, setThreadError] = useState<Error | null>(null);
  const [question, setQuestion] = useState('');
  const [asking, setAsking] = useState(false);
  const [askError, setAskError] = useState<Error | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const current = useRef<Thread | null>(null);
  current.current = thread;
  const selected = useRef(id);
  selected.current = id;

  // The first page of sessions, or the next one after `after`.
  const loadSessions = (after: string | null = null) => {
    get<Page<Session>>(`/chat/sessions?limit=50${after ? `&cursor=${encodeURIComponent(after)}` : ''}`)
      .then((p) => {
        setSessions((prev) => (after ? [...(prev ?? []), ...p.items] : p.items));
        setSessionsCursor(p.next_cursor);
        setSessionsError(null);
      })
      .catch((e: unknown) => setSessionsError(e instanceof Error ? e : new Error(String(e))));
  };
  useEffect(() => loadSessions(), []);

  // The selected session's messages, unless this page already holds them
  // (just asked there).
  const loadThread = (sessionId: string, signal?: AbortSignal) => {
    setThreadError(null);
    get<Thread>(`/chat/sessions/${encodeURIComponent(sessionId)}/messages`, signal)
      .then((t) => setThread(t))
      .catch((e: unknown) => {
        if (!signal?.aborted) setThreadError(e instanceof Error ? e : new Error(String(e)));
      });
  };
  useEffect(() => {
    if (!id) {
      setThread(null);
      setThreadError(null);
      return;
    }
    // Just asked here (an error from that ask stays shown).
    if (current.current?.session.id === id) return;
    setAskError(null);
    setThread(null);
    const ac = new AbortController();
    loadThread(id, ac.signal);
    return () => ac.abort();
  }, [id]);

  useEffect(() => {
    bottom.current?.scrollIntoView?.({ block: 'end' });
  }, [thread?.messages.length]);

  // Asks in the selected session, or in a new one made for this question.
  // If another session was opened meanwhile, the answer (stored by the
  // server) is left for when this one is opened again.
  const ask = async () => {
    const text = question.trim();
    if (!text || asking) return;
    const from = id;
    const stillHere = () => selected.current === from;
    setAsking(true);
    setAskError(null);
    let session = thread?.session ?? null;
    const made = !session;
    try {
      if (!session) session = await api<Session>('POST', '/chat/sessions', { title: titleOf(text) });
      const sessionId = session.id;
      const answer = await api<AskAnswer>('POST', `/chat/sessions/${encodeURIComponent(sessionId)}/messages`, {
        question: text,
      });
      if (stillHere()) {
        const before = current.current?.session.id === sessionId ? current.current.messages : [];
        const messages = [...before, answer.question, answer.answer];
        const next = { session: { ...session, messages: messages.length }, messages };
        current.current = next;
        setThread(next);
        setQuestion('');
      }
    } catch (e) {
      if (stillHere()) {
        setAskError(e instanceof Error ? e : new Error(String(e)));
        // A session made for this question stays (empty): ask again in it.
        if (session && made) {
          const next = { session, messages: [] };
          current.current = next;
          setThread(next);
        }
      }
    } finally {
      setAsking(false);
      loadSessions();
      if (stillHere()) {
        if (session && made) navigate(`/chat/${session.id}`);
        // The box was disabled while asking; give it back its focus.
        setTimeout(() => box.current?.focus(), 0);
      }
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void ask();
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void ask();
    }
  };

  const newChat = () => {
    setQuestion('');
    setAskError(null);
    current.current = null;
    setThread(null);
    navigate('/chat');
    box.current?.focus();
  };

  const empty = !question.trim();
  return (
    <section className="chat-page">
      <h1>Chat</h1>
      <p className="small">
        Questions are answered from the knowledge base only; every claim cites the file, task or decision it comes
        from.
      </p>
      <div className="chat-layout">
        <nav className="chat-sessions" aria-label="Chat sessions">
          <button type="button" className="button primary" onClick={newChat}>
            New chat
          </button>
          {sessionsError && <ChatError error={sessionsError} onRetry={() => loadSessions()} />}
          {!sessions && !sessionsError && <Loading label="Loading sessions…" />}
          {sessions && sessions.length === 0 && <Empty>No conversations yet.</Empty>}
          {sessions && sessions.length > 0 && (
            <ul>
              {sessions.map((s) => (
                <li key={s.id}>
                  <Link to={`/chat/${s.id}`} aria-current={s.id === id ? 'page' : undefined}>
                    <span className="chat-session-title">{s.title}</span>
                    <span className="small">
                      {s.id} · {questions(s.messages)} · <Time iso={s.updated_at} rel />
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
          {sessionsCursor && (
            <button type="button" className="button small" onClick={() => loadSessions(sessionsCursor)}>
              More conversations
            </button>
          )}
        </nav>
        <div className="chat-thread">
          <h2>{thread ? thread.session.title : id ? id : 'New conversation'}</h2>
          {threadError && <ChatError error={threadError} onRetry={id ? () => loadThread(id) : undefined} />}
          {id && !thread && !threadError && <Loading label="Loading the conversation…" />}
          {!id && <Empty>Ask a question about the project to start a conversation.</Empty>}
          {thread && thread.messages.length === 0 && <Empty>No questions in this conversation yet.</Empty>}
          <div role="log" aria-label="Conversation" aria-live="polite">
            <ol className="chat-messages">
              {thread?.messages.map((m) => <MessageView key={m.id} message={m} />)}
            </ol>
          </div>
          {asking && <Loading label="Looking for the answer…" />}
          {askError && <ChatError error={askError} />}
          <div ref={bottom} />
          {!threadError && (
            <form className="chat-form" aria-label="Ask a question" onSubmit={submit}>
              <label htmlFor="chat-question">Your question</label>
              <textarea
                id="chat-question"
                ref={box}
                rows={3}
                autoFocus
                value={question}
                disabled={asking}
                aria-describedby="chat-question-hint"
                onChange={(e) => setQuestion(e.target.value)}
                onKeyDown={onKey}
              />
              <div className="chat-form-actions">
                <span id="chat-question-hint" className="hint">
                  Enter sends, Shift+Enter starts a new line.
                </span>
                <button type="submit" className="button primary" disabled={asking || empty}>
                  {asking ? 'Asking…' : 'Ask'}
                </button>
              </div>
            </form>
          )}
        </div>
      </div>
    </section>
  );
}
