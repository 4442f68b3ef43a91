// Renders the Markdown Docrunch generates (headings, paragraphs, lists,
// tables, fenced code, inline code, emphasis, links) as React elements, so
// no HTML string ever reaches the DOM. Links between generated pages
// (`../modules/x.md`, `../functions/x.md`) become dashboard links.
import type { ReactNode } from 'react';
import { Link } from '../app/router';

export type LinkMapper = (href: string) => string | null;

function inline(text: string, mapLink: LinkMapper, key = 0): ReactNode[] {
  const out: ReactNode[] = [];
  const re = /`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|\*\*([^*]+)\*\*|\*([^*]+)\*/g;
  let last = 0;
  let m: RegExpExecArray | null;
  let k = key;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1] !== undefined) out.push(<code key={k++}>{m[1]}</code>);
    else if (m[2] !== undefined && m[3] !== undefined) {
      const to = mapLink(m[3]);
      const label = inline(m[2], mapLink, k * 100);
      if (to && to.startsWith('/')) out.push(<Link key={k++} to={to}>{label}</Link>);
      else if (to) out.push(<a key={k++} href={to} rel="noreferrer">{label}</a>);
      else out.push(<span key={k++}>{label}</span>);
    } else if (m[4] !== undefined) out.push(<strong key={k++}>{m[4]}</strong>);
    else if (m[5] !== undefined) out.push(<em key={k++}>{m[5]}</em>);
    last = re.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

export function Markdown({ source, mapLink = () => null }: { source: string; mapLink?: LinkMapper }) {
  const lines = source.split('\n');
  const blocks: ReactNode[] = [];
  let i = 0;
  let key = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (/^```/.test(line)) {
      const lang = line.slice(3).trim();
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i]!)) body.push(lines[i++]!);
      i++;
      blocks.push(
        <pre key={key++} className="code" data-lang={lang || undefined} tabIndex={0} aria-label={lang ? `${lang} code` : 'code'}>
          <code>{body.join('\n')}</code>
        </pre>,
      );
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      // Page headings sit below the view's own h1.
      const level = Math.min(h[1]!.length + 1, 6);
      const Tag = `h${level}` as 'h2';
      blocks.push(<Tag key={key++}>{inline(h[2]!, mapLink)}</Tag>);
      i++;
      continue;
    }
    if (/^\s*\|/.test(line) && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1]!)) {
      const head = cells(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && /^\s*\|/.test(lines[i]!)) rows.push(cells(lines[i++]!));
      blocks.push(
        <div className="table-wrap" key={key++}>
          <table>
            <thead>
              <tr>{head.map((c, j) => <th key={j} scope="col">{inline(c, mapLink)}</th>)}</tr>
            </thead>
            <tbody>
              {rows.map((r, j) => (
                <tr key={j}>{r.map((c, n) => <td key={n}>{inline(c, mapLink)}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </div>,
      );
      continue;
    }
    if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items: string[] = [];
      while (i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i]!)) {
        items.push(lines[i++]!.replace(/^\s*([-*]|\d+\.)\s+/, ''));
      }
      const List = ordered ? 'ol' : 'ul';
      blocks.push(<List key={key++}>{items.map((t, j) => <li key={j}>{inline(t, mapLink)}</li>)}</List>);
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '' && !/^(#|```|\s*\||\s*([-*]|\d+\.)\s)/.test(lines[i]!)) {
      para.push(lines[i++]!);
    }
    if (para.length === 0) para.push(lines[i++]!);
    blocks.push(<p key={key++}>{inline(para.join(' '), mapLink)}</p>);
  }
  return <div className="markdown">{blocks}</div>;
}
