// Specialist profiles (admins): role -> provider, model, temperature,
// system prompt, max tokens. The form creates or changes one role's
// profile (PUT /llm/profiles/{role}); Edit fills it from a row.
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { PROFILE_ROLES, type LlmProfile, type LlmProvider, type Page } from '../../api/types';
import { Empty, Loaded } from '../../components/states';
import { useResource } from '../../components/useResource';
import { useAction } from './useAction';

interface Draft {
  role: string;
  provider: string;
  model: string;
  temperature: string;
  max_tokens: string;
  system_prompt: string;
}

const EMPTY: Draft = { role: 'chat', provider: '', model: '', temperature: '', max_tokens: '', system_prompt: '' };

function DraftOf(p: LlmProfile): Draft {
  return {
    role: p.role,
    provider: p.provider,
    model: p.model ?? '',
    temperature: p.temperature === null ? '' : String(p.temperature),
    max_tokens: p.max_tokens === null ? '' : String(p.max_tokens),
    system_prompt: p.system_prompt,
  };
}

// `providersVersion` changes whenever the providers did: their list is read again.
export function LlmProfiles({ providersVersion = 0 }: { providersVersion?: number }) {
  const resource = useResource<Page<LlmProfile>>('/llm/profiles?limit=200');
  const providers = useResource<Page<LlmProvider>>('/llm/providers?limit=200');
  const reloadProviders = providers.reload;
  useEffect(() => {
    if (providersVersion > 0) reloadProviders();
  }, [providersVersion, reloadProviders]);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const { run, view } = useAction();
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      // Numbers go as numbers (the server checks their ranges); empty clears.
      const body = {
        provider: draft.provider,
        model: draft.model === '' ? null : draft.model,
        temperature: draft.temperature === '' ? null : Number(draft.temperature),
        max_tokens: draft.max_tokens === '' ? null : Number(draft.max_tokens),
        system_prompt: draft.system_prompt,
      };
      await api('PUT', `/llm/profiles/${encodeURIComponent(draft.role)}`, body);
      resource.reload();
      return `Profile ${draft.role} saved.`;
    });
  };

  const names = providers.data?.items.map((p) => p.name) ?? [];
  return (
    <section className="card" aria-labelledby="set-profiles">
      <h2 id="set-profiles">Specialist profiles</h2>
      <Loaded resource={resource}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No profiles yet: every role uses what its caller names.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Role</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Model</th>
                    <th scope="col">Temperature</th>
                    <th scope="col">Max tokens</th>
                    <th scope="col">System prompt</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((r) => (
                    <tr key={r.role} data-profile={r.role}>
                      <td>{r.role}</td>
                      <td>{r.provider}</td>
                      <td>{r.model ?? <span className="small">the provider’s</span>}</td>
                      <td>{r.temperature ?? '–'}</td>
                      <td>{r.max_tokens ?? '–'}</td>
                      <td className="small">{r.system_prompt.length > 80 ? `${r.system_prompt.slice(0, 80)}…` : r.system_prompt}</td>
                      <td className="actions">
                        <button type="button" className="button small" onClick={() => setDraft(DraftOf(r))}>
                          Edit<span className="visually-hidden"> {r.role}</span>
                        </button>{' '}
                        <button
                          type="button"
                          className="button small danger"
                          onClick={() =>
                            void run(async () => {
                              await api('DELETE', `/llm/profiles/${encodeURIComponent(r.role)}`);
                              resource.reload();
                              return `Profile ${r.role} removed.`;
                            })
                          }
                        >
                          Remove<span className="visually-hidden"> {r.role}</span>
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      <form className="inline-form" onSubmit={submit} aria-label="Set a profile">
        <label>
          Role
          <select value={draft.role} onChange={(e) => set({ role: e.target.value })}>
            {PROFILE_ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Provider
          <select required value={draft.provider} onChange={(e) => set({ provider: e.target.value })}>
            <option value="">choose…</option>
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          Profile model <input value={draft.model} onChange={(e) => set({ model: e.target.value })} placeholder="the provider’s" autoComplete="off" />
        </label>
        <label>
          Temperature
          <input type="number" min="0" max="2" step="0.1" value={draft.temperature} onChange={(e) => set({ temperature: e.target.value })} />
        </label>
        <label>
          Max tokens
          <input type="number" min="1" max="1000000" step="1" value={draft.max_tokens} onChange={(e) => set({ max_tokens: e.target.value })} />
        </label>
        <label className="wide">
          System prompt
          <textarea rows={2} value={draft.system_prompt} onChange={(e) => set({ system_prompt: e.target.value })} />
        </label>
        <button type="submit" className="button primary">
          Save profile
        </button>
      </form>
      {view}
    </section>
  );
}
