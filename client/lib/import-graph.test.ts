/**
 * The token path loads almost nothing (CONVENTIONS.md): the library and the git, docker and
 * kube helpers reach, through static imports, no other command, no daemon code and no
 * package at all (no conf, winston, openid-client or jose). Lazy `import()` calls are for
 * rare paths (an interactive login) and are not followed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function staticGraph(entry: string): { files: string[]; packages: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  visit(join(ROOT, entry));
  return { files: [...seen].map((f) => f.slice(ROOT.length)), packages: [...packages] };
}

describe('token-path imports', () => {
  it('the client library loads no CLI code and no package', () => {
    const { files, packages } = staticGraph('client/lib/index.ts');
    expect(files).toContain('client/agent-client.ts');
    expect(files.filter((f) => f.startsWith('client/commands/') || f === 'client/main.ts' || f.startsWith('daemon/'))).toEqual([]);
    expect(packages).toEqual([]);
  });

  for (const helper of ['git-credential', 'docker-credential', 'kube']) {
    it(`the ${helper} helper loads no other command, no daemon code and no package`, () => {
      const { files, packages } = staticGraph(`client/commands/${helper}/${helper}.ts`);
      const foreign = files.filter((f) => (f.startsWith('client/commands/') && !f.startsWith(`client/commands/${helper}/`)) || f.startsWith('daemon/') || f === 'client/profile-config.ts');
      expect(foreign).toEqual([]);
      expect(packages).toEqual([]);
    });
  }
});
