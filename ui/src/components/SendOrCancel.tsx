// The two buttons under a form that can be given up: send it (not while it is being sent, or
// while the form itself says it is incomplete), or cancel.
export function SendOrCancel({ label, busy, incomplete = false, onCancel }: { label: string; busy: boolean; incomplete?: boolean; onCancel: () => void }) {
  return (
    <div className="actions">
      <button type="submit" disabled={busy || incomplete}>
        {label}
      </button>
      <button type="button" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
    </div>
  );
}
