/**
 * authctl/verify is for API servers: it reaches jose, node built-ins and shared/ (pure)
 * only, never the agent (daemon/) or the CLI (client/), so a server pulls in nothing else.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function graph(entry: string): { files: string[]; packages: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:^(?:import|export)\s[^;]*?from\s+|import\()'([^']+)'/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  visit(join(ROOT, entry));
  return { files: [...seen].map((f) => f.slice(ROOT.length)), packages: [...packages] };
}

describe('authctl/verify imports', () => {
  it('reaches jose and shared/ only', () => {
    const { files, packages } = graph('verify/index.ts');
    expect(files).toContain('verify/keys.ts');
    expect(files.filter((f) => !f.startsWith('verify/') && !f.startsWith('shared/'))).toEqual([]);
    expect(packages).toEqual(['jose']);
  });

  it('is exported as authctl/verify', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['./verify']).toEqual({ types: './dist/verify/index.d.ts', default: './dist/verify/index.js' });
  });
});
