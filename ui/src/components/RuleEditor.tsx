// A rule written as YAML, the same document `portcullis rules apply -f` and `evaluate --rules`
// read, so a rule tried here can be kept in Git as it is. The API validates it and answers every
// problem with its place; a YAML mistake is named by its line before anything is sent.
import type { FormEvent } from 'react';
import { parse, YAMLParseError } from 'yaml';
import { useSubmission } from '../useSubmission.js';
import { Failure } from './Failure.js';
import { SendOrCancel } from './SendOrCancel.js';

export function RuleEditor({
  text,
  onTextChange,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  text: string;
  onTextChange: (text: string) => void;
  submitLabel: string;
  onSubmit: (document: unknown) => Promise<void>;
  onCancel: () => void;
}) {
  const { busy, error, send, refuse } = useSubmission();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    let document: unknown;
    try {
      document = parse(text);
    } catch (parseError) {
      const line = parseError instanceof YAMLParseError ? parseError.linePos?.[0].line : undefined;
      refuse(new Error(`The rule is not valid YAML${line !== undefined ? ` (line ${line})` : ''}: ${(parseError as Error).message.split('\n')[0]}`));
      return;
    }
    send(() => onSubmit(document));
  };
  return (
    <form className="rule-editor" onSubmit={submit}>
      <label>
        Rule document (YAML)
        <textarea name="document" value={text} onChange={(event) => onTextChange(event.target.value)} rows={Math.max(12, text.split('\n').length + 2)} spellCheck={false} />
      </label>
      {error !== undefined && <Failure error={error} />}
      <SendOrCancel label={submitLabel} busy={busy} onCancel={onCancel} />
    </form>
  );
}
