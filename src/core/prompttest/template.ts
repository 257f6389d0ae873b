/** `{{var}}` substitution for prompts: a name with no value is an error, never an empty string. */

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

/** The names a template uses, in order of first use. */
export function templateNames(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** Fills every `{{name}}`; returns the names that have no value instead of a half-filled prompt. */
export function fillTemplate(template: string, vars: Readonly<Record<string, string>>): { text: string; missing: string[] } {
  const missing = templateNames(template).filter((name) => !Object.hasOwn(vars, name));
  if (missing.length > 0) return { text: template, missing };
  return { text: template.replace(PLACEHOLDER, (_, name: string) => vars[name]!), missing };
}
