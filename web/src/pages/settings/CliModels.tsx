// The CLI Bridge's model registry (.docrunch/cli_models.json) as the server
// validated it: the models per CLI, or every problem with its file:line.
import type { CliModelsAnswer } from '../../api/types';
import { Empty, Loaded } from '../../components/states';
import { useResource } from '../../components/useResource';

export function CliModels() {
  const resource = useResource<CliModelsAnswer>('/llm/cli-models');
  return (
    <section className="card" aria-labelledby="set-cli-models">
      <h2 id="set-cli-models">CLI models</h2>
      <Loaded resource={resource}>
        {(r) =>
          r.error ? (
            <div className="state-error" role="alert">
              <p>
                <span className="badge health-down">{r.error.code}</span> {r.path} cannot be used:
              </p>
              <pre className="cli-models-error">{r.error.message}</pre>
            </div>
          ) : !r.clis || Object.keys(r.clis).length === 0 ? (
            <Empty>{r.path} registers no CLI.</Empty>
          ) : (
            <dl className="cli-models">
              {Object.entries(r.clis).map(([cli, entry]) => (
                <div key={cli} data-cli={cli}>
                  <dt>
                    <strong>{cli}</strong> {entry.description && <span className="small">{entry.description}</span>}
                  </dt>
                  <dd>
                    <ul className="rows">
                      {entry.models.map((m) => (
                        <li key={m.id}>
                          <code>{m.id}</code>
                          {m.name !== m.id && <> {m.name}</>}
                          {m.description && <span className="small"> — {m.description}</span>}
                        </li>
                      ))}
                    </ul>
                  </dd>
                </div>
              ))}
            </dl>
          )
        }
      </Loaded>
    </section>
  );
}
