import { Link } from '../app/router';

export default function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{location.pathname}</code>. <Link to="/">Go to the overview</Link>.
      </p>
    </section>
  );
}
