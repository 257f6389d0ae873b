/**
 * The import rule between realms, checked over the TypeScript AST: which realm may import which
 * realm, package and Node builtin, and that no import circle exists. The tsconfigs wall off each
 * realm's globals; this wall covers what they cannot (a package import resolves whatever the
 * realm's `types` say, and a realm's tsconfig cannot forbid another realm's source it happens to
 * list). `npm run typecheck` runs it; test/unit/walls pins every rule with a failing fixture.
 *
 * Usage: node -r ./test/support/register.cjs tools/check/imports.ts [root]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import type { parse as babelParse } from '@babel/parser';

export type RealmName = 'core' | 'protocol' | 'node' | 'cli' | 'extension' | 'panel' | 'worker';

interface Realm {
  dir: string;
  /** Realms whose files this realm may import (itself included). */
  imports: RealmName[];
  /** Realms this realm may import only with `import type` (erased at build time). */
  typeOnly?: RealmName[];
  /** Whether Node builtins (`fs`, `node:path`) may be imported. */
  nodeBuiltins: boolean;
  /** Packages this realm may import: its listed libraries. */
  packages: string[];
}

/** The allowed arrows; docs/architecture.md draws them. */
export const REALMS: Record<RealmName, Realm> = {
  core: {
    dir: 'src/core',
    imports: ['core'],
    nodeBuiltins: false,
    packages: ['yaml', 'jsonrepair', 'ajv', 'ajv-formats', '@cfworker/json-schema', '@mlc-ai/web-xgrammar', '@huggingface/transformers-structured-output'],
  },
  protocol: { dir: 'src/protocol', imports: ['protocol', 'core'], typeOnly: ['core'], nodeBuiltins: false, packages: [] },
  node: {
    dir: 'src/node',
    imports: ['node', 'core', 'protocol'],
    nodeBuiltins: true,
    packages: ['@huggingface/transformers', '@huggingface/transformers-structured-output', '@mlc-ai/web-xgrammar', 'onnxruntime-web', '@huggingface/hub', 'undici'],
  },
  cli: { dir: 'src/cli', imports: ['cli', 'node', 'core', 'protocol'], nodeBuiltins: true, packages: [] },
  extension: { dir: 'src/extension', imports: ['extension', 'node', 'core', 'protocol'], nodeBuiltins: true, packages: ['vscode'] },
  panel: { dir: 'webview-ui/panel', imports: ['panel', 'core', 'protocol'], nodeBuiltins: false, packages: [] },
  worker: {
    dir: 'webview-ui/worker',
    imports: ['worker', 'core', 'protocol'],
    nodeBuiltins: false,
    packages: ['@huggingface/transformers', '@huggingface/transformers-structured-output', '@mlc-ai/web-xgrammar'],
  },
};

/** Folders whose every source file must belong to a realm. */
const SOURCE_ROOTS = ['src', 'webview-ui'];

export interface ImportRef {
  specifier: string;
  line: number;
  /** Erased at build time: `import type`, `export type … from`, `import('x').T` in a type. */
  typeOnly: boolean;
}

export interface Violation {
  /** Relative to the root, with forward slashes. */
  file: string;
  line: number;
  message: string;
}

const BUILTINS = new Set(builtinModules);

let babel: typeof babelParse | undefined;

/** @babel/parser, loaded on first use so a checkout that predates it fails here, saying what to run, not at load. */
function parser(): typeof babelParse {
  try {
    babel ??= (require('@babel/parser') as { parse: typeof babelParse }).parse;
  } catch (e) {
    throw new Error(`the import checker needs @babel/parser (a devDependency): run npm ci. (${(e as Error).message.split('\n')[0]})`);
  }
  return babel;
}

/** Every module a file names: static, dynamic, require, import-equals, import types and `/// <reference types>`. */
export function importsOf(source: string, fileName: string): ImportRef[] {
  const ast = parser()(source, {
    sourceType: 'module',
    plugins: [['typescript', { dts: fileName.endsWith('.d.ts') }]],
    sourceFilename: fileName,
  });
  const refs: ImportRef[] = [];
  const add = (node: any, typeOnly: boolean) => {
    if (node?.type === 'StringLiteral') refs.push({ specifier: node.value, line: node.loc.start.line, typeOnly });
  };
  const allTypes = (specifiers: any[], kind: 'importKind' | 'exportKind') => specifiers.length > 0 && specifiers.every((s) => s[kind] === 'type');
  const visit = (node: any): void => {
    if (!node || typeof node.type !== 'string') return;
    switch (node.type) {
      case 'ImportDeclaration':
        add(node.source, node.importKind === 'type' || allTypes(node.specifiers, 'importKind'));
        break;
      case 'ExportNamedDeclaration':
      case 'ExportAllDeclaration':
        if (node.source) add(node.source, node.exportKind === 'type' || allTypes(node.specifiers ?? [], 'exportKind'));
        break;
      case 'TSImportEqualsDeclaration':
        if (node.moduleReference?.type === 'TSExternalModuleReference') add(node.moduleReference.expression, node.importKind === 'type');
        break;
      case 'TSImportType':
        add(node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument, true);
        break;
      case 'CallExpression':
        if (node.callee.type === 'Import' || (node.callee.type === 'Identifier' && node.callee.name === 'require')) add(node.arguments[0], false);
        if (node.callee.type === 'MemberExpression' && node.callee.object.name === 'require' && node.callee.property.name === 'resolve') add(node.arguments[0], false);
        break;
      case 'ImportExpression':
        add(node.source, false);
        break;
    }
    for (const key of Object.keys(node)) {
      if (key === 'loc' || key === 'leadingComments' || key === 'trailingComments' || key === 'innerComments') continue;
      const child = node[key];
      if (Array.isArray(child)) child.forEach(visit);
      else if (child && typeof child === 'object') visit(child);
    }
  };
  visit(ast.program);
  // A triple-slash directive pulls a type library's globals in, past the tsconfig's `types`.
  for (const c of ast.comments ?? []) {
    const m = /^\/\s*<reference\s+(types|path)\s*=\s*["']([^"']+)["']/.exec(c.value);
    if (c.type !== 'CommentLine' || !m) continue;
    // `types="node"` is Node's globals: the same wall as a builtin import.
    const specifier = m[1] === 'path' ? (m[2]!.startsWith('.') ? m[2]! : `./${m[2]}`) : m[2] === 'node' ? 'node: (/// <reference types="node" />)' : m[2]!;
    refs.push({ specifier, line: c.loc!.start.line, typeOnly: true });
  }
  return refs;
}

/** The realm a root-relative path belongs to, or undefined for tests, tools and everything else. */
export function realmOf(rel: string): RealmName | undefined {
  return (Object.keys(REALMS) as RealmName[]).find((name) => rel.startsWith(REALMS[name].dir + '/'));
}

/** The file a relative specifier names, as TypeScript with `moduleResolution: Bundler` finds it. */
function resolveRelative(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [base, base + '.ts', base + '.d.ts', path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Every rule broken under `root`, imports first, then circles; empty when the walls hold. */
export function checkImports(root: string): Violation[] {
  parser(); // a missing parser is the checker's failure, not a violation in each file
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
  const violations: Violation[] = [];
  const graph = new Map<string, { to: string; line: number }[]>();
  const files = (Object.keys(REALMS) as RealmName[]).flatMap((name) => sourceFiles(path.join(root, REALMS[name].dir)));
  // A source file in no realm is in no tsconfig either: nothing would type-check it.
  for (const dir of SOURCE_ROOTS) {
    for (const file of sourceFiles(path.join(root, dir))) {
      if (!realmOf(rel(file))) violations.push({ file: rel(file), line: 1, message: `belongs to no realm, so no tsconfig checks it: move it into one of ${Object.values(REALMS).map((r) => r.dir).join(', ')} (or add a realm)` });
    }
  }
  for (const file of files) {
    const from = rel(file);
    const realmName = realmOf(from)!;
    const realm = REALMS[realmName];
    const edges: { to: string; line: number }[] = [];
    graph.set(from, edges);
    let refs: ImportRef[];
    try {
      refs = importsOf(fs.readFileSync(file, 'utf8'), file);
    } catch (e) {
      violations.push({ file: from, line: (e as { loc?: { line: number } }).loc?.line ?? 1, message: `cannot be parsed: ${(e as Error).message}` });
      continue;
    }
    for (const ref of refs) {
      const at = { file: from, line: ref.line };
      if (ref.specifier.startsWith('.') || ref.specifier.startsWith('/')) {
        const target = resolveRelative(file, ref.specifier);
        if (!target) {
          violations.push({ ...at, message: `imports '${ref.specifier}', which names no file` });
          continue;
        }
        const to = rel(target);
        const targetRealm = realmOf(to);
        if (!targetRealm) {
          violations.push({ ...at, message: `imports ${to}, which is outside every realm: ${realmName} may import only ${realm.imports.join(', ')}` });
        } else if (!realm.imports.includes(targetRealm)) {
          const hint = targetRealm === 'extension' ? ' (nothing imports extension except extension)' : '';
          violations.push({ ...at, message: `imports ${to}: ${realmName} may not import ${targetRealm}${hint}; ${realmName} may import only ${realm.imports.join(', ')}` });
        } else if (realm.typeOnly?.includes(targetRealm) && !ref.typeOnly) {
          violations.push({ ...at, message: `imports ${to} as a value: ${realmName} may import ${targetRealm} only with \`import type\`` });
        }
        if (to.endsWith('.ts')) edges.push({ to, line: ref.line });
        continue;
      }
      const name = ref.specifier.startsWith('node:') ? ref.specifier : packageName(ref.specifier);
      if (ref.specifier.startsWith('node:') || BUILTINS.has(name)) {
        if (!realm.nodeBuiltins) violations.push({ ...at, message: `imports the Node builtin '${ref.specifier}': ${realmName} runs outside Node (builtins only in node, cli, extension)` });
      } else if (!realm.packages.includes(name)) {
        const hint = name === 'vscode' ? ' (vscode only in extension)' : `; add it to ${realmName}'s packages in tools/check/imports.ts if it runs in every runtime ${realmName} does`;
        violations.push({ ...at, message: `imports the package '${name}', which is not one of ${realmName}'s libraries${hint}` });
      }
    }
  }
  for (const cycle of circles(graph)) {
    const first = graph.get(cycle[0]!)!.find((e) => e.to === cycle[1])!;
    violations.push({ file: cycle[0]!, line: first.line, message: `import circle: ${[...cycle, cycle[0]].join(' -> ')}` });
  }
  return violations;
}

/** One cycle through each strongly connected component of more than one file (or a file importing itself). */
export function circles(graph: Map<string, { to: string }[]>): string[][] {
  // Tarjan's algorithm, iterative so a deep chain cannot overflow the stack.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const edges = graph.get(top.node) ?? [];
      if (top.next < edges.length) {
        const to = edges[top.next++]!.to;
        if (!graph.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, next: 0 });
        } else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          component.push(n);
        } while (n !== top.node);
        const selfLoop = edges.some((e) => e.to === top.node);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  return components.map((component) => cycleWithin(graph, new Set(component)));
}

/** A shortest path from the component's first file (by name) back to itself, by breadth-first search. */
function cycleWithin(graph: Map<string, { to: string }[]>, members: Set<string>): string[] {
  const start = [...members].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const { to } of graph.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return path;
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return [start];
}

if (require.main === module) {
  const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..'));
  const violations = checkImports(root);
  for (const v of violations) console.error(`${v.file}:${v.line}: ${v.message}`);
  if (violations.length > 0) {
    console.error(`\n${violations.length} import rule violation(s); the realms and their allowed arrows are in docs/architecture.md.`);
    process.exit(1);
  }
  console.log('imports: every realm imports only what it may, and no import circle.');
}
