// LLM providers (admins): the list with masked keys, a Test button per
// provider (a real, minimal call: latency and answer, or the provider's
// error), and a form to add or edit one. A key typed here goes to the
// server once and is cleared from the form: the page never holds it again,
// the server answers with the masked hint only.
import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { CLI_TYPES, PROVIDER_TYPES, type LlmProvider, type Page, type ProviderTestAnswer } from '../../api/types';
import { Empty, Loaded } from '../../components/states';
import { useResource } from '../../components/useResource';
import { useAction } from './useAction';

type TestResult = { ok: true; answer: ProviderTestAnswer } | { ok: false; code: string; message: string } | 'running';

interface Draft {
  name: string;
  type: string;
  base_url: string;
  model: string;
  cli_type: string;
  enabled: boolean;
  clear_key: boolean;
}

const EMPTY: Draft = { name: '', type: 'openai', base_url: '', model: '', cli_type: 'gemini', enabled: true, clear_key: false };

function TestOutcome({ result }: { result: TestResult | undefined }) {
  if (!result) return null;
  if (result === 'running') return <span className="small">testing…</span>;
  if (result.ok) {
    return (
      <span className="test-result" role="status">
        <span className="badge health-healthy">ok</span> {result.answer.latency_ms} ms, {result.answer.model}:{' '}
        <q>{result.answer.answer}</q>
      </span>
    );
  }
  return (
    <span className="test-result form-error" role="alert">
      <span className="badge health-down">{result.code}</span> {result.message}
    </span>
  );
}

function ProviderForm({ editing, onDone }: { editing: LlmProvider | null; onDone: (text: string) => void }) {
  const [draft, setDraft] = useState<Draft>(
    editing
      ? { name: editing.name, type: editing.type, base_url: editing.base_url, model: editing.model,
          cli_type: editing.cli_type ?? 'gemini', enabled: editing.enabled, clear_key: false }
      : EMPTY,
  );
  const keyInput = useRef<HTMLInputElement>(null);
  const { run, view } = useAction();
  const bridge = draft.type === 'cli_bridge';
  const keyField = bridge ? 'proxy_api_key' : 'api_key';
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // The key is read from the (uncontrolled) field and cleared at once.
    const key = keyInput.current?.value ?? '';
    if (keyInput.current) keyInput.current.value = '';
    void run(async () => {
      const body: Record<string, unknown> = { type: draft.type, model: draft.model, enabled: draft.enabled };
      if (draft.base_url !== '' || editing) body.base_url = draft.base_url;
      if (bridge) body.cli_type = draft.cli_type;
      if (key !== '') body[keyField] = key;
      else if (editing && draft.clear_key) body[keyField] = null;
      if (editing) {
        await api('PATCH', `/llm/providers/${encodeURIComponent(editing.name)}`, body);
      } else {
        await api('POST', '/llm/providers', { name: draft.name, ...body });
        setDraft(EMPTY);
      }
      const text = editing ? `Provider ${editing.name} updated.` : `Provider ${draft.name} added.`;
      onDone(text);
      return text;
    });
  };

  return (
    <form className="inline-form provider-form" onSubmit={submit} aria-label={editing ? `Edit ${editing.name}` : 'Add a provider'}>
      {!editing && (
        <label>
          Provider name <input required value={draft.name} onChange={(e) => set({ name: e.target.value })} autoComplete="off" />
        </label>
      )}
      <label>
        Type
        <select value={draft.type} onChange={(e) => set({ type: e.target.value })}>
          {PROVIDER_TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <label>
        Base URL
        <input
          value={draft.base_url}
          onChange={(e) => set({ base_url: e.target.value })}
          placeholder={bridge || draft.type === 'openai-compatible' ? 'required' : 'the type’s default'}
          autoComplete="off"
        />
      </label>
      <label>
        Model <input value={draft.model} onChange={(e) => set({ model: e.target.value })} autoComplete="off" />
      </label>
      {bridge && (
        <label>
          CLI
          <select value={draft.cli_type} onChange={(e) => set({ cli_type: e.target.value })}>
            {CLI_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
      )}
      <label>
        {bridge ? 'Proxy API key' : 'API key'}
        <input
          ref={keyInput}
          type="password"
          name={keyField}
          autoComplete="off"
          placeholder={editing ? 'unchanged when empty' : ''}
        />
      </label>
      {editing && (
        <label className="checkbox">
          <input type="checkbox" checked={draft.clear_key} onChange={(e) => set({ clear_key: e.target.checked })} /> Forget
          the stored key
        </label>
      )}
      <label className="checkbox">
        <input type="checkbox" checked={draft.enabled} onChange={(e) => set({ enabled: e.target.checked })} /> Enabled
      </label>
      <button type="submit" className="button primary">
        {editing ? 'Save provider' : 'Add provider'}
      </button>
      {view}
    </form>
  );
}

// `onChange` runs after every change to the list (the profiles' provider
// choice follows it).
export function LlmProviders({ onChange }: { onChange?: () => void }) {
  const loaded = useResource<Page<LlmProvider>>('/llm/providers?limit=200');
  const resource = {
    ...loaded,
    reload: () => {
      loaded.reload();
      onChange?.();
    },
  };
  const [editing, setEditing] = useState<LlmProvider | null>(null);
  const [tests, setTests] = useState<Record<string, TestResult>>({});
  const { run, view } = useAction();

  const test = async (name: string) => {
    setTests((t) => ({ ...t, [name]: 'running' }));
    try {
      const answer = await api<ProviderTestAnswer>('POST', `/llm/providers/${encodeURIComponent(name)}/test`, {});
      setTests((t) => ({ ...t, [name]: { ok: true, answer } }));
    } catch (e) {
      const code = e instanceof ApiError ? e.code : 'ERROR';
      setTests((t) => ({ ...t, [name]: { ok: false, code, message: e instanceof Error ? e.message : String(e) } }));
    }
  };

  return (
    <section className="card" aria-labelledby="set-providers">
      <h2 id="set-providers">LLM providers</h2>
      <Loaded resource={resource}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No providers yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Model</th>
                    <th scope="col">Base URL</th>
                    <th scope="col">Key</th>
                    <th scope="col">State</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((v) => (
                    <tr key={v.name} data-provider={v.name}>
                      <td>{v.name}</td>
                      <td>
                        {v.type}
                        {v.cli_type ? ` (${v.cli_type})` : ''}
                      </td>
                      <td>{v.model}</td>
                      <td className="small">{v.base_url}</td>
                      <td>
                        <code>{v.api_key ?? v.proxy_api_key ?? 'none'}</code>
                      </td>
                      <td>{v.enabled ? 'enabled' : 'disabled'}</td>
                      <td className="actions">
                        <button type="button" className="button small" onClick={() => void test(v.name)}>
                          Test<span className="visually-hidden"> {v.name}</span>
                        </button>{' '}
                        <button type="button" className="button small" onClick={() => setEditing(v)}>
                          Edit<span className="visually-hidden"> {v.name}</span>
                        </button>{' '}
                        <button
                          type="button"
                          className="button small danger"
                          onClick={() =>
                            void run(async () => {
                              await api('DELETE', `/llm/providers/${encodeURIComponent(v.name)}`);
                              if (editing?.name === v.name) setEditing(null);
                              resource.reload();
                              return `Provider ${v.name} removed.`;
                            })
                          }
                        >
                          Remove<span className="visually-hidden"> {v.name}</span>
                        </button>
                        <div>
                          <TestOutcome result={tests[v.name]} />
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      {view}
      {editing ? (
        <>
          <h3>
            Edit {editing.name}{' '}
            <button type="button" className="button small" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </h3>
          <ProviderForm
            key={editing.name}
            editing={editing}
            onDone={(text) => {
              setEditing(null);
              resource.reload();
              void run(async () => text);
            }}
          />
        </>
      ) : (
        <ProviderForm editing={null} onDone={() => resource.reload()} />
      )}
    </section>
  );
}
