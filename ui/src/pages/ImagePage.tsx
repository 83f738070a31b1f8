// An image as its scans describe it: by the reference a spec wrote (the digest it names, else
// the tag scans reported, as admission finds it), by digest, or by the image id a scan of an
// archive is kept under; its scans and its findings, worst
// first, a page at a time.
import type { Finding } from '../../../src/findings/model.js';
import { imageRequest, type ApiClient, type ImageView } from '../api.js';
import { Counts, SeverityBadge } from '../components/badges.js';
import { Failure } from '../components/Failure.js';
import { advisoryLink, formatTime } from '../format.js';
import { formatRoute } from '../route.js';
import { useLoaded } from '../useApi.js';
import { useSubmission } from '../useSubmission.js';

const FINDINGS_PAGE = 100;

export function ImagePage({ api, reference }: { api: ApiClient; reference: string }) {
  const [loaded, setLoaded] = useLoaded(() => api.get<ImageView>(imageRequest(reference, { limit: String(FINDINGS_PAGE) })), reference);
  const more = useSubmission();
  const loadMore = (image: ImageView) => {
    if (image.nextOffset === undefined) return;
    const offset = String(image.nextOffset);
    more.send(async () => {
      const page = await api.get<ImageView>(imageRequest(reference, { limit: String(FINDINGS_PAGE), offset }));
      setLoaded({ ...page, findings: [...image.findings, ...page.findings] });
    });
  };
  return (
    <section>
      <p>
        <a href="#/scans">← Scans</a>
      </p>
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <Failure error={loaded.error} />}
      {loaded.state === 'loaded' && <ImageDetail image={loaded.value} reference={reference} />}
      {loaded.state === 'loaded' && loaded.value.nextOffset !== undefined && (
        <button type="button" disabled={more.busy} onClick={() => loadMore(loaded.value)}>
          More findings
        </button>
      )}
      {more.error !== undefined && <Failure error={more.error} />}
    </section>
  );
}

function ImageDetail({ image, reference }: { image: ImageView; reference: string }) {
  return (
    <article className="image-page">
      <h1 className="reference">{image.reference ?? reference}</h1>
      <dl className="facts">
        <dt>Scan</dt>
        <dd>{image.scanStatus === 'Scanned' ? `Scanned ${image.scannedAt !== undefined ? formatTime(image.scannedAt) : ''}` : 'No scan covers this image'}</dd>
        {image.digest !== undefined && (
          <>
            <dt>Digest</dt>
            <dd>
              <code>{image.digest}</code>
            </dd>
          </>
        )}
        {image.tags.length > 0 && (
          <>
            <dt>Tags</dt>
            <dd>{image.tags.join(', ')}</dd>
          </>
        )}
        <dt>Findings</dt>
        <dd>
          <Counts counts={image.counts} /> <span className="muted">({image.findingCount} in all)</span>
        </dd>
      </dl>
      <p>
        <a href={formatRoute({ page: 'events', filters: { image: image.digest ?? image.reference ?? reference } })}>Admission events of this image</a>
      </p>
      {image.scans.length > 0 && (
        <>
          <h2>Scans</h2>
          <table className="scans">
            <thead>
              <tr>
                <th>Scanner</th>
                <th>Artifact</th>
                <th>Scanned</th>
                <th>Received</th>
                <th>Warnings</th>
              </tr>
            </thead>
            <tbody>
              {image.scans.map((scan) => (
                <tr key={scan.id}>
                  <td>
                    {scan.scanner} {scan.version ?? ''}
                  </td>
                  <td className="reference">{scan.artifactName}</td>
                  <td>{scan.scannedAt !== undefined ? formatTime(scan.scannedAt) : <span className="muted">–</span>}</td>
                  <td>{formatTime(scan.receivedAt)}</td>
                  <td>{scan.warnings.join(' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {image.findings.length > 0 && (
        <>
          <h2>Findings</h2>
          <table className="findings">
            <thead>
              <tr>
                <th>Vulnerability</th>
                <th>Severity</th>
                <th>CVSS</th>
                <th>Package</th>
                <th>Fixed in</th>
                <th>Title</th>
              </tr>
            </thead>
            <tbody>
              {image.findings.map((finding) => (
                <FindingRow key={`${finding.id} ${finding.package.name} ${finding.package.version}`} finding={finding} />
              ))}
            </tbody>
          </table>
        </>
      )}
    </article>
  );
}

function FindingRow({ finding }: { finding: Finding }) {
  const advisory = advisoryLink(finding.url);
  return (
    <tr>
      <td>
        {advisory !== undefined ? (
          <a href={advisory} rel="noreferrer noopener" target="_blank">
            {finding.id}
          </a>
        ) : (
          finding.id
        )}
        {finding.aliases.length > 0 && <div className="muted">{finding.aliases.join(', ')}</div>}
        {finding.knownExploited === true && <div className="badge severity-Critical">known exploited</div>}
      </td>
      <td>
        <SeverityBadge severity={finding.severity} />
      </td>
      <td>{finding.cvss?.score ?? ''}</td>
      <td>
        {finding.package.name} {finding.package.version}
      </td>
      <td>{finding.fixedVersion ?? <span className="muted">no fix yet</span>}</td>
      <td>{finding.title ?? ''}</td>
    </tr>
  );
}
