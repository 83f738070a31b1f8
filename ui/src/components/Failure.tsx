// What the API refused, as it said it: the message, and each problem with its place.
import { ApiFailure } from '../api.js';

export function Failure({ error }: { error: unknown }) {
  const failure = error instanceof ApiFailure ? error : undefined;
  return (
    <div className="failure" role="alert">
      <p>
        {failure && failure.status > 0 && <strong>{failure.status}: </strong>}
        {error instanceof Error ? error.message : String(error)}
      </p>
      {failure && failure.problems.length > 0 && (
        <ul>
          {failure.problems.map((problem, i) => (
            <li key={i}>
              <code>{problem.path}</code>: {problem.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
