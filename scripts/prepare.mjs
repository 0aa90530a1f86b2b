// `npm install` in a clone, and installs of simdeck from git or a folder, run this: it builds
// dist/ with the TypeScript compiler when that is installed (a clone after `npm install`, a git
// install: npm installs devDependencies first), and otherwise keeps a dist/ that is already
// built. A folder install of a clone that was never set up (no node_modules, no dist) cannot
// build, and says what to do instead of failing with "tsc: not found".
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let tsc = null;
try {
  const pkg = createRequire(join(root, 'package.json')).resolve('typescript/package.json');
  tsc = join(dirname(pkg), 'bin', 'tsc');
} catch { /* not installed */ }

if (tsc !== null && existsSync(tsc)) {
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
  // The `simdeck` bin must be executable: `npx simdeck` in this clone runs it directly.
  if (r.status === 0) chmodSync(join(root, 'dist', 'src', 'cli', 'main.js'), 0o755);
  process.exit(r.status ?? 1);
}
if (existsSync(join(root, 'dist', 'src', 'index.js'))) process.exit(0); // built already
process.stderr.write(
  `simdeck: ${root} has no built dist/ and no TypeScript compiler to build it.\n` +
  `Run \`npm install\` in ${root} first (it installs the compiler and builds dist/), then install it again;\n` +
  'or install a tarball made there with `npm pack`.\n');
process.exit(1);
