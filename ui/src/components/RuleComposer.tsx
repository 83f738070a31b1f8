// A rule written in the form or as YAML, whichever the person prefers, switching between them
// without losing what was written: the form becomes its document in YAML, and YAML that is a
// valid rule fills the form.
import { useState } from 'react';
import { parse, stringify } from 'yaml';
import { validateRule } from '../../../src/policy/rule-document.js';
import type { Rule } from '../../../src/policy/rule.js';
import { documentOfForm, formOfRule, NEW_RULE_FORM, type RuleForm as RuleFormFields } from '../rule-form.js';
import { Failure } from './Failure.js';
import { RuleEditor } from './RuleEditor.js';
import { RuleForm } from './RuleForm.js';

type Way = { readonly kind: 'form'; readonly form: RuleFormFields } | { readonly kind: 'yaml'; readonly text: string };

export function RuleComposer({ initial, submitLabel, onSubmit, onCancel }: { initial?: Rule; submitLabel: string; onSubmit: (document: unknown) => Promise<void>; onCancel: () => void }) {
  const [way, setWay] = useState<Way>({ kind: 'form', form: initial ? formOfRule(initial) : NEW_RULE_FORM });
  const [switchError, setSwitchError] = useState<unknown>();

  const toYaml = (form: RuleFormFields) => {
    setSwitchError(undefined);
    setWay({ kind: 'yaml', text: stringify(documentOfForm(form)) });
  };
  const toForm = (text: string) => {
    let rule: Rule | undefined;
    try {
      rule = validateRule(parse(text), 'rule').rule;
    } catch {
      rule = undefined;
    }
    if (!rule) {
      setSwitchError(new Error('The form shows only a valid rule: mend the YAML (saving it names each problem), or go on in YAML.'));
      return;
    }
    setSwitchError(undefined);
    setWay({ kind: 'form', form: formOfRule(rule) });
  };

  return (
    <div className="rule-composer">
      <div className="ways" role="group" aria-label="Write the rule">
        <button type="button" aria-pressed={way.kind === 'form'} onClick={() => way.kind === 'yaml' && toForm(way.text)}>
          Form
        </button>
        <button type="button" aria-pressed={way.kind === 'yaml'} onClick={() => way.kind === 'form' && toYaml(way.form)}>
          YAML
        </button>
      </div>
      {switchError !== undefined && <Failure error={switchError} />}
      {way.kind === 'form' ? (
        <RuleForm form={way.form} onChange={(form) => setWay({ kind: 'form', form })} submitLabel={submitLabel} onSubmit={onSubmit} onCancel={onCancel} />
      ) : (
        <RuleEditor text={way.text} onTextChange={(text) => setWay({ kind: 'yaml', text })} submitLabel={submitLabel} onSubmit={onSubmit} onCancel={onCancel} />
      )}
    </div>
  );
}
