import type { IFlattenedRuleSet } from 'dependency-cruiser';

// The directions docs/local-development.md ("Layout") draws, as dependency-cruiser rules. Paths are
// relative to the repository root. Type-only imports count: a circle through types is still a circle.

const forbid = (name: string, comment: string, from: string, to: string) => ({
  name,
  comment,
  severity: 'error' as const,
  from: { path: from },
  to: { path: to },
});

export const DEPENDENCY_RULES: IFlattenedRuleSet = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import circle anywhere: each module sits below the ones that use it.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    forbid(
      'lib-uses-nothing-above-it',
      'lib/ is the runtime library: it imports none of the code built on it.',
      '^lib/',
      '^(functions|infra|local|cli|ops|bench|scripts|test)/',
    ),
    forbid(
      'lib-shared-below-all',
      'lib/shared/ (errors, options, JSON and schema helpers) serves every other folder of lib/ and uses none.',
      '^lib/shared/',
      '^lib/(store|handlers|batch|webhooks|contracts)/',
    ),
    forbid(
      'lib-store-below-its-users',
      'lib/store/ (the dedup record and its commit) is what the handlers and the batch handlers build on.',
      '^lib/store/',
      '^lib/(handlers|batch|webhooks)/',
    ),
    forbid(
      'lib-handlers-not-batch-or-webhooks',
      'lib/handlers/ (one event) and lib/batch/ (many records) are two ways to use the store, side by side.',
      '^lib/handlers/',
      '^lib/(batch|webhooks)/',
    ),
    forbid(
      'lib-batch-not-handlers-or-webhooks',
      'lib/handlers/ (one event) and lib/batch/ (many records) are two ways to use the store, side by side.',
      '^lib/batch/',
      '^lib/(handlers|webhooks)/',
    ),
    forbid(
      'lib-webhooks-apart',
      'lib/webhooks/ verifies signatures: it needs no store, handler or batch.',
      '^lib/webhooks/',
      '^lib/(store|handlers|batch)/',
    ),
    forbid(
      'lib-contracts-below-the-store',
      'lib/contracts/ names what crosses components; it does not reach into the store or the handlers.',
      '^lib/contracts/',
      '^lib/(store|handlers|batch)/',
    ),
    forbid(
      'local-not-cli',
      'local/ and cli/ share code through ops/, never by importing each other.',
      '^local/',
      '^cli/',
    ),
    forbid(
      'cli-not-local',
      'local/ and cli/ share code through ops/, never by importing each other.',
      '^cli/',
      '^local/',
    ),
    forbid(
      'ops-below-local-and-cli',
      'ops/ is shared by local/ and cli/, so it uses neither.',
      '^ops/',
      '^(local|cli)/',
    ),
    forbid(
      'infra-not-function-sources',
      "infra/ deploys the functions' built bundles (dist/functions), never their sources.",
      '^infra/',
      '^functions/',
    ),
    forbid(
      'functions-not-tools',
      'A deployed function bundles lib/ and its own code, not the CDK, the local stack or the CLI.',
      '^functions/',
      '^(infra|local|cli|ops|bench)/',
    ),
  ],
};

/** The folders the rules read: every source folder of the repository and its tests. */
export const CHECKED_FOLDERS = ['lib', 'functions', 'infra', 'local', 'cli', 'ops', 'bench', 'scripts', 'test'];
