// Scans: a scan report (Trivy or Grype JSON, or the native format) posted by hand, one or many
// files at once, each answered for itself: the image it covers, its counts, whether it was new;
// and an image looked up by reference, as admission finds it.
import { useState, type FormEvent } from 'react';
import type { SeverityCounts } from '../../../src/policy/evidence.js';
import type { ApiClient, Caller } from '../api.js';
import { Counts } from '../components/badges.js';
import { Failure } from '../components/Failure.js';
import { formatRoute } from '../route.js';
import { mayPostScans } from '../roles.js';

interface ScanResult {
  readonly id: string;
  readonly keys: readonly string[];
  readonly scanner: string;
  readonly created: boolean;
  readonly replaced: readonly string[];
  readonly counts: SeverityCounts;
  readonly warnings: readonly string[];
}

/** One file's outcome: stored (or already there), or refused with the reason. */
type Posted = { readonly file: string; readonly result: ScanResult } | { readonly file: string; readonly error: unknown };

export function ScansPage({ api, caller }: { api: ApiClient; caller: Caller }) {
  return (
    <section>
      <h1>Scans</h1>
      <ImageLookup />
      {mayPostScans(caller.role) ? (
        <ReportUpload api={api} />
      ) : (
        <p className="muted">
          Scan reports are posted by scanners (<code>portcullis scans import</code>, or <code>POST /api/v1/scans</code> from CI) and by a SecurityAdmin.
        </p>
      )}
    </section>
  );
}

function ImageLookup() {
  const [reference, setReference] = useState('');
  const look = (event: FormEvent) => {
    event.preventDefault();
    if (reference.trim() !== '') window.location.hash = formatRoute({ page: 'image', reference: reference.trim() });
  };
  return (
    <form className="filters" onSubmit={look} aria-label="Find an image">
      <label className="wide">
        Image
        <input name="reference" value={reference} onChange={(event) => setReference(event.target.value)} placeholder="registry.example.com/shop/checkout:1.4.2, or …@sha256:…" />
      </label>
      <div className="actions">
        <button type="submit">Show its scans</button>
      </div>
    </form>
  );
}

function ReportUpload({ api }: { api: ApiClient }) {
  const [posted, setPosted] = useState<readonly Posted[]>([]);
  const [busy, setBusy] = useState(false);

  const upload = async (files: readonly File[]) => {
    setBusy(true);
    const outcomes: Posted[] = [];
    // One at a time, in the order chosen: a report's refusal says which file it was, and the rest still go.
    for (const file of files) {
      outcomes.push(await post(api, file));
      setPosted([...outcomes]);
    }
    setBusy(false);
  };

  return (
    <>
      <h2>Post scan reports</h2>
      <form className="filters" aria-label="Post scan reports" onSubmit={(event) => event.preventDefault()}>
        <label className="wide">
          Trivy or Grype JSON reports, or the native format
          <input
            type="file"
            name="reports"
            accept=".json,application/json"
            multiple
            disabled={busy}
            onChange={(event) => {
              const files = [...(event.target.files ?? [])];
              event.target.value = '';
              if (files.length > 0) void upload(files);
            }}
          />
        </label>
      </form>
      {busy && <p className="loading">Posting…</p>}
      {posted.length > 0 && (
        <table className="posted">
          <thead>
            <tr>
              <th>File</th>
              <th>Outcome</th>
              <th>Image</th>
              <th>Findings</th>
              <th>Warnings</th>
            </tr>
          </thead>
          <tbody>
            {posted.map((outcome, i) =>
              'result' in outcome ? (
                <tr key={i}>
                  <td>{outcome.file}</td>
                  <td>
                    {outcome.result.created ? 'stored' : 'already stored'} ({outcome.result.scanner}){outcome.result.replaced.length > 0 && `, replacing ${outcome.result.replaced.length} older`}
                  </td>
                  <td>
                    {outcome.result.keys.map((key) => (
                      <div key={key}>
                        <a className="reference" href={formatRoute({ page: 'image', reference: key })}>
                          {key}
                        </a>
                      </div>
                    ))}
                  </td>
                  <td>
                    <Counts counts={outcome.result.counts} />
                  </td>
                  <td>{outcome.result.warnings.join(' ')}</td>
                </tr>
              ) : (
                <tr key={i}>
                  <td>{outcome.file}</td>
                  <td colSpan={4}>
                    <Failure error={outcome.error} />
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
    </>
  );
}

async function post(api: ApiClient, file: File): Promise<Posted> {
  let report: unknown;
  try {
    report = JSON.parse(await file.text());
  } catch (error) {
    return { file: file.name, error: new Error(`${file.name} is not JSON: ${(error as Error).message}`) };
  }
  try {
    return { file: file.name, result: await api.post<ScanResult>('/api/v1/scans', report) };
  } catch (error) {
    return { file: file.name, error };
  }
}
