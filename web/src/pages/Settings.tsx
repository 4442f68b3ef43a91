// Settings: agent tokens and dashboard users, LLM providers (keys masked,
// a test button), specialist profiles and the CLI model registry; all for
// admins (the server refuses anyone else).
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { Page } from '../api/types';
import { useSession } from '../app/session';
import { CopyId } from '../components/CopyId';
import { Empty, Loaded } from '../components/states';
import { Time } from '../components/Time';
import { useResource } from '../components/useResource';
import { CliModels } from './settings/CliModels';
import { LlmProfiles } from './settings/LlmProfiles';
import { LlmProviders } from './settings/LlmProviders';
import { useAction } from './settings/useAction';

const ROLES = ['reader', 'agent', 'admin'];

interface TokenRow {
  name: string;
  role: string;
  created_at?: string;
  last_used_at?: string | null;
  revoked_at?: string | null;
  from_config?: boolean;
}

interface UserRow {
  name: string;
  role: string;
  created_at: string;
  last_login_at: string | null;
  disabled_at: string | null;
}

function Tokens() {
  const resource = useResource<Page<TokenRow>>('/tokens');
  const [name, setName] = useState('');
  const [role, setRole] = useState('agent');
  const [secret, setSecret] = useState<string | null>(null);
  const { run, view } = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const answer = await api<{ token: string }>('POST', '/tokens', { name, role });
      setSecret(answer.token);
      setName('');
      resource.reload();
      return `Token ${name} created. Copy it now: it is not shown again.`;
    });
  };
  return (
    <section className="card" aria-labelledby="set-tokens">
      <h2 id="set-tokens">Agent tokens</h2>
      <Loaded resource={resource}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No agent tokens.</Empty>
          ) : (
            <ul className="rows">
              {p.items.map((t) => (
                <li key={t.name} data-token={t.name}>
                  <strong>{t.name}</strong> <span className="role-badge">{t.role}</span>{' '}
                  {t.created_at && (
                    <span className="small">
                      created <Time iso={t.created_at} />
                      {t.last_used_at ? <>, last used <Time iso={t.last_used_at} rel /></> : ', never used'}
                    </span>
                  )}{' '}
                  {t.from_config && <span className="badge">from config</span>}
                  {t.revoked_at ? (
                    <span className="badge status-rejected">
                      revoked <Time iso={t.revoked_at} />
                    </span>
                  ) : (
                    !t.from_config && (
                      <button
                        type="button"
                        className="button small danger"
                        onClick={() =>
                          void run(async () => {
                            await api('DELETE', `/tokens/${encodeURIComponent(t.name)}`);
                            resource.reload();
                            return `Token ${t.name} revoked.`;
                          })
                        }
                      >
                        Revoke<span className="visually-hidden"> {t.name}</span>
                      </button>
                    )
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <form className="inline-form" onSubmit={create}>
        <label>
          Name <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit" className="button primary">
          Create token
        </button>
      </form>
      {view}
      {secret && (
        <p>
          New token: <CopyId id={secret} />
        </p>
      )}
    </section>
  );
}

function Users() {
  const resource = useResource<Page<UserRow>>('/users');
  const [name, setName] = useState('');
  const [role, setRole] = useState('reader');
  const [password, setPassword] = useState('');
  const { run, view } = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api('POST', '/users', { name, role, password });
      setName('');
      setPassword('');
      resource.reload();
      return `User ${name} created.`;
    });
  };
  return (
    <section className="card" aria-labelledby="set-users">
      <h2 id="set-users">Users</h2>
      <Loaded resource={resource}>
        {(p) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col">State</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((u) => (
                  <tr key={u.name}>
                    <td>{u.name}</td>
                    <td>{u.role}</td>
                    <td>
                      <Time iso={u.last_login_at} />
                    </td>
                    <td>{u.disabled_at ? 'disabled' : 'active'}</td>
                    <td>
                      {!u.disabled_at && (
                        <button
                          type="button"
                          className="button small danger"
                          onClick={() =>
                            void run(async () => {
                              await api('PATCH', `/users/${encodeURIComponent(u.name)}`, { disabled: 'true' });
                              resource.reload();
                              return `User ${u.name} disabled; their sessions ended.`;
                            })
                          }
                        >
                          Disable<span className="visually-hidden"> {u.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
      <form className="inline-form" onSubmit={create}>
        <label>
          Name <input required value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Password
          <input
            required
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="button primary">
          Create user
        </button>
      </form>
      {view}
    </section>
  );
}

export default function Settings() {
  const { user } = useSession();
  const [providersVersion, setProvidersVersion] = useState(0);
  const admin = user?.role === 'admin';
  return (
    <section>
      <h1>Settings</h1>
      <div className="detail-grid">
        {admin ? (
          <>
            <Tokens />
            <Users />
          </>
        ) : (
          <section className="card" aria-labelledby="set-who">
            <h2 id="set-who">Your account</h2>
            <p>
              Signed in as <strong>{user?.name}</strong> ({user?.role}). Tokens and users are managed by admins.
            </p>
          </section>
        )}
        {admin ? (
          <>
            <LlmProviders onChange={() => setProvidersVersion((v) => v + 1)} />
            <LlmProfiles providersVersion={providersVersion} />
            <CliModels />
          </>
        ) : (
          <section className="card" aria-labelledby="set-llm">
            <h2 id="set-llm">LLM providers</h2>
            <p>Providers, specialist profiles and CLI models are managed by admins.</p>
          </section>
        )}
      </div>
    </section>
  );
}
