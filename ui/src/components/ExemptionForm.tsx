// "Exempt CVE-2024-1234 until 31 March": one exemption added to a rule, a new version of it.
// The API checks it with the whole rule (a CVE id's form, the day in the rule's time zone).
import { useState, type FormEvent } from 'react';
import { EXEMPTION_CRITERIA, EXEMPTION_TYPES, type Exemption, type ExemptionCriterion, type ExemptionType } from '../../../src/policy/rule.js';
import { useSubmission } from '../useSubmission.js';
import { Failure } from './Failure.js';
import { SendOrCancel } from './SendOrCancel.js';

export function ExemptionForm({ onAdd, onCancel }: { onAdd: (exemption: Exemption) => Promise<void>; onCancel: () => void }) {
  const [type, setType] = useState<ExemptionType>('CVE');
  const [criterion, setCriterion] = useState<ExemptionCriterion>('Equals');
  const [value, setValue] = useState('');
  const [expires, setExpires] = useState('');
  const [reason, setReason] = useState('');
  const { busy, error, send } = useSubmission();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const exemption: Exemption = { type, criterion, value: value.trim(), ...(expires !== '' && { expires }), ...(reason.trim() !== '' && { reason: reason.trim() }) };
    send(() => onAdd(exemption));
  };
  return (
    <form className="exemption-form" onSubmit={submit} aria-label="New exemption">
      <label>
        Exempt
        <select name="type" value={type} onChange={(event) => setType(event.target.value as ExemptionType)}>
          {EXEMPTION_TYPES.map((option) => (
            <option key={option}>{option}</option>
          ))}
        </select>
      </label>
      <label>
        Criterion
        <select name="criterion" value={criterion} onChange={(event) => setCriterion(event.target.value as ExemptionCriterion)}>
          {EXEMPTION_CRITERIA.map((option) => (
            <option key={option}>{option}</option>
          ))}
        </select>
      </label>
      <label>
        Value
        <input name="value" value={value} onChange={(event) => setValue(event.target.value)} placeholder="CVE-2024-1234" required />
      </label>
      <label>
        Until (the last day it holds)
        <input type="date" name="expires" value={expires} onChange={(event) => setExpires(event.target.value)} />
      </label>
      <label>
        Reason
        <input name="reason" value={reason} onChange={(event) => setReason(event.target.value)} placeholder="fixed upstream in the next release" />
      </label>
      <SendOrCancel label="Add exemption" busy={busy} onCancel={onCancel} />
      {error !== undefined && <Failure error={error} />}
    </form>
  );
}
